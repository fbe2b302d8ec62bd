import { normaliseNixHash } from './hash.js'
import { fullPath } from './store-path.js'

/** What a narinfo and `nix path-info` both say of a store path's NAR. */
export interface NarFacts {
  /** `sha256:<nix32>` of the uncompressed NAR. */
  narHash: string
  narSize: number
  /** Basenames in a narinfo; full store paths, sorted, in path-info. */
  references: string[]
  /** The .drv, as references are written; undefined when unknown. */
  deriver?: string
}

export interface PathInfo extends NarFacts {
  path: string
}

type RawEntry = Record<string, unknown> | null

/**
 * `nix path-info --json` changed shape twice: an array of objects with `path` (≤2.18), an
 * object keyed by full path with null for invalid paths (2.19–2.32, and v1 on ≥2.33), and
 * `{version: 2, info: {<basename>: …}}` (`--json-format 2`). All three are read here;
 * invalid paths are left out of the result.
 */
export function parsePathInfoJson(json: unknown): PathInfo[] {
  const entries: [string, RawEntry][] = []
  if (Array.isArray(json)) {
    for (const item of json as Record<string, unknown>[]) entries.push([String(item.path), item])
  } else if (json !== null && typeof json === 'object') {
    const object = json as Record<string, unknown>
    if (typeof object.version === 'number' && object.info !== undefined && typeof object.info === 'object') {
      for (const [key, value] of Object.entries(object.info as Record<string, RawEntry>))
        entries.push([fullPath(key), value])
    } else {
      for (const [key, value] of Object.entries(object as Record<string, RawEntry>)) entries.push([key, value])
    }
  } else {
    throw new Error('nix path-info --json printed neither an array nor an object')
  }
  const infos: PathInfo[] = []
  for (const [path, entry] of entries) {
    if (entry === null || entry.valid === false || typeof entry.narHash !== 'string') continue
    const deriver = entry.deriver
    infos.push({
      path,
      narHash: normaliseNixHash(entry.narHash),
      narSize: Number(entry.narSize),
      references: ((entry.references as string[] | undefined) ?? []).map(fullPath).sort(),
      deriver:
        typeof deriver === 'string' && deriver !== '' && deriver !== 'unknown-deriver' ? fullPath(deriver) : undefined
    })
  }
  return infos
}

/** `infos` ordered so every path comes after the paths it references (as `nix-store -q --requisites` prints them). */
export function dependenciesFirst(infos: PathInfo[]): PathInfo[] {
  const byPath = new Map(infos.map(info => [info.path, info]))
  const placed = new Set<string>()
  const ordered: PathInfo[] = []
  // Depth first without recursion: a chain of thousands of paths must not exhaust the stack.
  for (const root of [...infos].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const stack: { info: PathInfo; next: number }[] = [{ info: root, next: 0 }]
    const onStack = new Set<string>([root.path])
    if (placed.has(root.path)) continue
    while (stack.length > 0) {
      const top = stack[stack.length - 1]
      const reference = top.info.references[top.next++]
      if (reference === undefined) {
        stack.pop()
        onStack.delete(top.info.path)
        if (!placed.has(top.info.path)) {
          placed.add(top.info.path)
          ordered.push(top.info)
        }
        continue
      }
      const dependency = byPath.get(reference)
      if (dependency !== undefined && !placed.has(reference) && !onStack.has(reference)) {
        stack.push({ info: dependency, next: 0 })
        onStack.add(reference)
      }
    }
  }
  return ordered
}
