import type { NarInfo } from '../nix/narinfo.js'
import { fullPath, hashPart } from '../nix/store-path.js'
import { asError } from '../util/process.js'
import { runQueue } from '../util/queue.js'

export interface ClosureWalk {
  /** Every path reachable from the roots through narinfo References is in the cache. */
  complete: boolean
  /** Narinfos looked up. */
  checked: number
  /** The first path found absent, and the path whose References named it (itself for a root). */
  firstMissing?: { path: string; neededBy: string }
}

export interface ClosureWalkOptions {
  /** Narinfo lookups in flight at once. */
  concurrency?: number
  signal?: AbortSignal
  /** Paths whose whole closure an earlier walk found in the cache: not looked up again. Complete walks add to it. */
  verified?: Set<string>
}

export const CLOSURE_WALK_CONCURRENCY = 32

/** Where narinfos come from: the Cachix API (CachixClient), or a cache shared across walks. */
export interface NarInfoSource {
  narinfo(hash: string, signal?: AbortSignal): Promise<NarInfo | undefined>
}

interface Lookup {
  path: string
  neededBy: string
}

/**
 * Follows narinfo References from `roots` through the cache, without the paths being in
 * the local store: a host counts as cached only when its whole closure is there, because
 * caches lose paths to garbage collection and a toplevel alone proves nothing. Stops at the
 * first missing path.
 */
export async function walkClosure(
  client: NarInfoSource,
  roots: string[],
  options: ClosureWalkOptions = {}
): Promise<ClosureWalk> {
  const concurrency = Math.max(1, options.concurrency ?? CLOSURE_WALK_CONCURRENCY)
  const seen = new Set<string>()
  const pending: Lookup[] = []
  const verified = options.verified ?? new Set<string>()
  const enqueue = (path: string, neededBy: string, add: (item: Lookup) => void): void => {
    if (seen.has(path) || verified.has(path)) return
    seen.add(path)
    add({ path, neededBy })
  }
  for (const root of roots) enqueue(root, root, item => pending.push(item))

  const stop = new AbortController()
  const onOuterAbort = (): void => stop.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  let checked = 0
  let firstMissing: ClosureWalk['firstMissing']
  let failure: Error | undefined

  try {
    await runQueue(
      pending,
      concurrency,
      async (item, add) => {
        try {
          const info = await client.narinfo(hashPart(item.path), stop.signal)
          checked++
          if (info === undefined) {
            firstMissing ??= item
            stop.abort()
          } else for (const reference of info.references) enqueue(fullPath(reference), item.path, add)
        } catch (error: unknown) {
          // Lookups cut short by the stop are not failures.
          if (!stop.signal.aborted) failure ??= asError(error)
          stop.abort()
        }
      },
      stop.signal
    )
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort)
  }
  if (failure !== undefined) throw failure
  options.signal?.throwIfAborted()
  if (firstMissing === undefined) for (const path of seen) verified.add(path)
  return { complete: firstMissing === undefined, checked, firstMissing }
}

/** One walk per root, sharing what earlier walks verified (hosts share most of their closures). */
export async function walkEach(
  client: NarInfoSource,
  roots: string[],
  options: ClosureWalkOptions = {}
): Promise<Map<string, ClosureWalk>> {
  const verified = options.verified ?? new Set<string>()
  const walks = new Map<string, ClosureWalk>()
  for (const root of roots) walks.set(root, await walkClosure(client, [root], { ...options, verified }))
  return walks
}

/** What a log line says about one root's walk. */
export function describeWalk(root: string, walk: ClosureWalk): string {
  if (walk.complete) return `${root} and its whole closure are in the cache`
  const missing = walk.firstMissing
  if (missing === undefined) return `${root} is not in the cache`
  if (missing.path === root) return `${root} is not in the cache`
  return `${root} is in the cache but its closure is not: ${missing.path} (needed by ${missing.neededBy}) is missing`
}
