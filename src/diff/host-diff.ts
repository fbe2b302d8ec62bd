import { errorMessage } from '../util/process.js'
import {
  cacheClosure,
  cacheFileSizes,
  localClosure,
  NARINFO_LOOKUPS,
  type LocalStore,
  type NarInfoSource
} from './closures.js'
import { compareClosures } from './compare.js'
import type { HostDiff, PathFacts } from './types.js'

export interface DiffSources {
  cache: NarInfoSource
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

async function compare(host: string, base: string, head: string, sources: DiffSources): Promise<HostDiff> {
  const concurrency = sources.concurrency ?? NARINFO_LOOKUPS
  let headFacts = await localClosure(sources.store, head)
  if (headFacts === undefined) {
    const walk = await cacheClosure(sources.cache, head, new Map(), concurrency)
    if (walk.missing.length > 0) return { host, outcome: 'head-unavailable', base, head }
    headFacts = walk.facts
  }
  let baseFacts = sources.baseFromLocalStore ? await localClosure(sources.store, base) : undefined
  if (baseFacts === undefined) {
    const walk = await cacheClosure(sources.cache, base, headFacts, concurrency)
    if (walk.missing[0] === base) return { host, outcome: 'base-not-in-cache', base, head }
    if (walk.missing.length > 0) return { host, outcome: 'base-incomplete', base, head, missing: walk.missing }
    baseFacts = walk.facts
  }
  const lacking = [...headFacts.keys()].filter(path => !baseFacts.has(path))
  const fileSizes = await cacheFileSizes(sources.cache, lacking, headFacts, concurrency)
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
