import {
  closureFacts,
  CLOSURE_WALK_CONCURRENCY,
  downloadSizes,
  type CacheLookups,
  type ClosureFacts,
  type NarInfoSource,
  type PathFacts
} from '../cachix/closure-walk.js'
import { compareClosures } from './compare.js'
import { localClosure, type LocalStore } from './local-closure.js'
import type { HostDiff } from './types.js'
import { errorMessage } from '../util/errors.js'

export interface DiffSources {
  cache: CacheLookups
  /**
   * The substituters the hosts use (cache.nixos.org, their own caches): the narinfos of paths the
   * cache only counts as present upstream. `describe` names them in a message.
   */
  substituters?: NarInfoSource & { describe?: () => string }
  store: LocalStore
  /**
   * Take the base from the local store when it is there (a laptop's running system). In CI the
   * base must come from the cache, so that a base the cache lacks is reported as such.
   */
  baseFromLocalStore?: boolean
  concurrency?: number
}

function narSizes(facts: ReadonlyMap<string, PathFacts>): Map<string, number> {
  return new Map([...facts].map(([path, f]) => [path, f.narSize]))
}

/** Upstream paths no substituter describes leave the closure unknown: said so, nothing guessed. */
function requireUpstreamFacts(walk: ClosureFacts, sources: DiffSources): void {
  const [first] = walk.unknownUpstream
  if (first === undefined) return
  const others = walk.unknownUpstream.length - 1
  throw new Error(
    `the cache counts ${first}${others > 0 ? ` and ${others} more` : ''} as present upstream, but no substituter asked has its narinfo (${sources.substituters?.describe?.() ?? 'no substituter'}): substitute from the cache that holds it (cache.nixos.org is the upstream of cachix.org)`
  )
}

async function compare(host: string, base: string, head: string, sources: DiffSources): Promise<HostDiff> {
  const options = { substituters: sources.substituters, concurrency: sources.concurrency ?? CLOSURE_WALK_CONCURRENCY }
  let headFacts = await localClosure(sources.store, head)
  if (headFacts === undefined) {
    const walk = await closureFacts(sources.cache, head, options)
    if (walk.missing.length > 0) return { host, outcome: 'head-unavailable', base, head }
    requireUpstreamFacts(walk, sources)
    headFacts = walk.facts
  }
  let baseFacts = sources.baseFromLocalStore ? await localClosure(sources.store, base) : undefined
  if (baseFacts === undefined) {
    const walk = await closureFacts(sources.cache, base, { ...options, known: headFacts })
    if (walk.missing[0] === base) return { host, outcome: 'base-not-in-cache', base, head }
    if (walk.missing.length > 0) return { host, outcome: 'base-incomplete', base, head, missing: walk.missing }
    requireUpstreamFacts(walk, sources)
    baseFacts = walk.facts
  }
  const lacking = [...headFacts.keys()].filter(path => !baseFacts.has(path))
  const fileSizes = await downloadSizes(sources.cache, sources.substituters, lacking, headFacts, options.concurrency)
  const diff = compareClosures(
    { root: base, narSizes: narSizes(baseFacts) },
    { root: head, narSizes: narSizes(headFacts) },
    fileSizes
  )
  return { host, outcome: 'compared', base, head, diff }
}

/** One host's closure diff; a failure is this host's outcome, not the run's. */
export async function diffHost(
  host: string,
  base: string | undefined,
  head: string,
  sources: DiffSources
): Promise<HostDiff> {
  if (base === undefined) return { host, outcome: 'new-host', head }
  try {
    return await compare(host, base, head, sources)
  } catch (error: unknown) {
    return { host, outcome: 'failed', base, head, message: errorMessage(error) }
  }
}
