import type { CachixClient } from '../cachix/client.js'
import { fullPath, hashPart } from '../nix/store-path.js'
import { asError } from '../util/process.js'

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

/**
 * Follows narinfo References from `roots` through the cache, without the paths being in
 * the local store: a host counts as cached only when its whole closure is there, because
 * caches lose paths to garbage collection and a toplevel alone proves nothing. Stops at the
 * first missing path.
 */
export async function walkClosure(client: CachixClient, roots: string[], options: ClosureWalkOptions = {}): Promise<ClosureWalk> {
  const concurrency = Math.max(1, options.concurrency ?? CLOSURE_WALK_CONCURRENCY)
  const seen = new Set<string>()
  const pending: { path: string; neededBy: string }[] = []
  const verified = options.verified ?? new Set<string>()
  const enqueue = (path: string, neededBy: string): void => {
    if (seen.has(path) || verified.has(path)) return
    seen.add(path)
    pending.push({ path, neededBy })
  }
  for (const root of roots) enqueue(root, root)

  const stop = new AbortController()
  const onOuterAbort = (): void => stop.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  let checked = 0
  let firstMissing: ClosureWalk['firstMissing']
  let failure: Error | undefined

  const lookUp = async (item: { path: string; neededBy: string }): Promise<void> => {
    try {
      const info = await client.narinfo(hashPart(item.path), stop.signal)
      checked++
      if (info === undefined) {
        firstMissing ??= item
        stop.abort()
      } else for (const reference of info.references) enqueue(fullPath(reference), item.path)
    } catch (error: unknown) {
      if (!stop.signal.aborted) failure ??= asError(error)
      stop.abort()
    }
  }

  try {
    await new Promise<void>(resolve => {
      let active = 0
      const pump = (): void => {
        while (!stop.signal.aborted && active < concurrency && pending.length > 0) {
          const item = pending.shift()
          if (item === undefined) break
          active++
          void lookUp(item).finally(() => {
            active--
            pump()
          })
        }
        if (active === 0 && (pending.length === 0 || stop.signal.aborted)) resolve()
      }
      pump()
    })
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort)
  }
  if (failure !== undefined) throw failure
  options.signal?.throwIfAborted()
  if (firstMissing === undefined) for (const path of seen) verified.add(path)
  return { complete: firstMissing === undefined, checked, firstMissing }
}

/** One walk per root, sharing what earlier walks verified (hosts share most of their closures). */
export async function walkEach(client: CachixClient, roots: string[], options: ClosureWalkOptions = {}): Promise<Map<string, ClosureWalk>> {
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
