import type { NarInfo } from '../nix/narinfo.js'
import type { PathInfo } from '../nix/path-info.js'
import { fullPath, hashPart } from '../nix/store-path.js'
import type { NarInfoSource } from '../push/closure-walk.js'
import { runQueue } from '../util/queue.js'
import type { PathFacts } from './types.js'

/** Narinfo lookups in flight at once. */
export const NARINFO_LOOKUPS = 32

export type { NarInfoSource }

export interface LocalStore {
  isValid(path: string): Promise<boolean>
  closure(paths: string[]): Promise<string[]>
  pathInfos(paths: string[]): Promise<Map<string, PathInfo>>
}

/** One lookup per store hash for the whole run: hosts share most of their closures. */
export class SharedNarInfos implements NarInfoSource {
  private readonly seen = new Map<string, Promise<NarInfo | undefined>>()
  lookups = 0

  constructor(private readonly cache: NarInfoSource) {}

  narinfo(hash: string, signal?: AbortSignal): Promise<NarInfo | undefined> {
    let found = this.seen.get(hash)
    if (found === undefined) {
      this.lookups++
      found = this.cache.narinfo(hash, signal)
      // A failed lookup is not remembered, so a later host asks again.
      found.catch(() => this.seen.delete(hash))
      this.seen.set(hash, found)
    }
    return found
  }
}

/** The closure of `root` from the local store (no FileSize there), or undefined when the store lacks it. */
export async function localClosure(store: LocalStore, root: string): Promise<Map<string, PathFacts> | undefined> {
  if (!(await store.isValid(root))) return undefined
  const paths = await store.closure([root])
  const infos = await store.pathInfos(paths)
  const facts = new Map<string, PathFacts>()
  for (const path of paths) {
    const info = infos.get(path)
    if (info === undefined)
      throw new Error(`nix path-info knows nothing of ${path}, which is in the closure of ${root}`)
    facts.set(path, { narSize: info.narSize, references: info.references })
  }
  return facts
}

export interface CacheWalk {
  facts: Map<string, PathFacts>
  /** Paths of the closure the cache does not have (the root first, when it is one of them). */
  missing: string[]
}

/**
 * The closure of `root` through narinfo References. Paths in `known` (the other side's closure)
 * are taken from there and not looked up: a store path's references never change, so a walk
 * only asks the cache about the paths the two sides do not share.
 */
export async function cacheClosure(
  cache: NarInfoSource,
  root: string,
  known: ReadonlyMap<string, PathFacts>,
  concurrency = NARINFO_LOOKUPS
): Promise<CacheWalk> {
  const facts = new Map<string, PathFacts>()
  const missing: string[] = []
  const seen = new Set<string>([root])
  const enqueue = (add: (path: string) => void, references: string[]): void => {
    for (const reference of references) {
      if (seen.has(reference)) continue
      seen.add(reference)
      add(reference)
    }
  }
  await runQueue([root], concurrency, async (path, add) => {
    const shared = known.get(path)
    if (shared !== undefined) {
      facts.set(path, shared)
      enqueue(add, shared.references)
      return
    }
    const info = await cache.narinfo(hashPart(path))
    if (info === undefined) {
      missing.push(path)
      return
    }
    const references = info.references.map(fullPath)
    facts.set(path, { narSize: info.narSize, references, fileSize: info.fileSize })
    enqueue(add, references)
  })
  missing.sort((a, b) => (a === root ? -1 : b === root ? 1 : a < b ? -1 : a > b ? 1 : 0))
  return { facts, missing }
}

/** The cache's FileSize of each path (undefined: not in the cache, or no FileSize given). */
export async function cacheFileSizes(
  cache: NarInfoSource,
  paths: string[],
  known: ReadonlyMap<string, PathFacts>,
  concurrency = NARINFO_LOOKUPS
): Promise<Map<string, number | undefined>> {
  const sizes = new Map<string, number | undefined>()
  const ask: string[] = []
  for (const path of paths) {
    const size = known.get(path)?.fileSize
    if (size !== undefined) sizes.set(path, size)
    else ask.push(path)
  }
  await runQueue(ask, concurrency, async path => {
    sizes.set(path, (await cache.narinfo(hashPart(path)))?.fileSize)
  })
  return sizes
}
