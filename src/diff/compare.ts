import { parsePackageName, storePathName } from './names.js'
import type { ClosureDiff, PackageChange } from './types.js'

export interface ClosureSide {
  root: string
  /** Every path of the closure and its NarSize. */
  narSizes: ReadonlyMap<string, number>
}

// name → version → paths, as diff-closures groups a closure.
type Grouped = Map<string, Map<string, Set<string>>>

function group(paths: Iterable<string>, skip: Set<string>): Grouped {
  const grouped: Grouped = new Map()
  for (const path of paths) {
    if (skip.has(path)) continue
    const { name, version } = parsePackageName(storePathName(path))
    let versions = grouped.get(name)
    if (versions === undefined) grouped.set(name, (versions = new Map<string, Set<string>>()))
    let members = versions.get(version)
    if (members === undefined) versions.set(version, (members = new Set<string>()))
    members.add(path)
  }
  return grouped
}

// Byte order, as std::set and std::map order names and versions in Nix.
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function sameMembers(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false
  for (const path of a) if (!b.has(path)) return false
  return true
}

function sizeOf(versions: Map<string, Set<string>> | undefined, sizes: ReadonlyMap<string, number>): number {
  let sum = 0
  for (const paths of versions?.values() ?? []) for (const path of paths) sum += sizes.get(path) ?? 0
  return sum
}

function total(sizes: ReadonlyMap<string, number>): number {
  let sum = 0
  for (const size of sizes.values()) sum += size
  return sum
}

/**
 * Packages added, removed, changed in version and rebuilt between two closures, their sizes,
 * and what switching downloads. The two toplevels themselves are left out of the package
 * lists: they always differ, and the report names them.
 * `fileSizes` holds the FileSize of head paths where they are downloaded from (undefined: nobody has them).
 */
export function compareClosures(
  base: ClosureSide,
  head: ClosureSide,
  fileSizes: ReadonlyMap<string, number | undefined>
): ClosureDiff {
  const roots = new Set([base.root, head.root])
  const before = group(base.narSizes.keys(), roots)
  const after = group(head.narSizes.keys(), roots)
  const diff: ClosureDiff = {
    changed: [],
    added: [],
    removed: [],
    rebuilt: [],
    before: { paths: base.narSizes.size, narSize: total(base.narSizes) },
    after: { paths: head.narSizes.size, narSize: total(head.narSizes) },
    download: { paths: 0, fileSize: 0, sizeUnknown: [] }
  }
  const names = [...new Set([...before.keys(), ...after.keys()])].sort(byteOrder)
  for (const name of names) {
    const was = before.get(name)
    const is = after.get(name)
    const sizeDelta = sizeOf(is, head.narSizes) - sizeOf(was, base.narSizes)
    const gone = [...(was?.keys() ?? [])].filter(v => !is?.has(v)).sort(byteOrder)
    const came = [...(is?.keys() ?? [])].filter(v => !was?.has(v)).sort(byteOrder)
    const change: PackageChange = { name, before: gone, after: came, sizeDelta }
    if (was === undefined) diff.added.push(change)
    else if (is === undefined) diff.removed.push(change)
    else if (gone.length > 0 || came.length > 0) diff.changed.push(change)
    else {
      const rebuilt = [...was.keys()]
        .filter(v => !sameMembers(was.get(v) ?? new Set(), is.get(v) ?? new Set()))
        .sort(byteOrder)
      if (rebuilt.length > 0) diff.rebuilt.push({ name, before: rebuilt, after: rebuilt, sizeDelta })
    }
  }
  for (const path of head.narSizes.keys()) {
    if (base.narSizes.has(path)) continue
    diff.download.paths++
    const size = fileSizes.get(path)
    if (size === undefined) diff.download.sizeUnknown.push(path)
    else diff.download.fileSize += size
  }
  diff.download.sizeUnknown.sort(byteOrder)
  return diff
}
