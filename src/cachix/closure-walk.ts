/**
 * The one narinfo walk of a closure in a Cachix cache: skip-cached, the planner, the closure diff
 * and the CLI all ask through it, so all of them count the same paths as present.
 *
 * A Cachix cache holds only what was pushed to it. What its upstream (cache.nixos.org) has
 * "counts as existing upstream": the bulk query (`POST …/narinfo`) says present, `GET narinfo`
 * says 404. So a path is present when GET finds it (and its References are followed), or when
 * GET does not and the bulk query counts it present: then it is upstream, and so is its whole
 * closure, because Hydra pushes closures. The walk asks GET first and puts every 404 of a round
 * into one bulk query (deduplicated, batched by the client) rather than one query per path.
 */
import type { NarInfo } from '../nix/format/narinfo.js'
import { fullPath, hashPart } from '../nix/format/store-path.js'
import { runQueue } from '../util/async.js'

/** Where narinfos come from: the Cachix API (CachixClient), the substituters, or a cache of either shared across walks. */
export interface NarInfoSource {
  narinfo(hash: string, signal?: AbortSignal): Promise<NarInfo | undefined>
}

/** A Cachix cache: GET narinfo, and the bulk "which of these are missing" query. */
export interface CacheLookups extends NarInfoSource {
  missingHashes(hashes: string[], signal?: AbortSignal): Promise<Set<string>>
}

/** What a closure diff needs to know about one store path. */
export interface PathFacts {
  narSize: number
  /** Full store paths. */
  references: string[]
  /** Compressed size where the narinfo came from; absent when it came from the local store. */
  fileSize?: number
}

/** Narinfo lookups in flight at once. */
export const CLOSURE_WALK_CONCURRENCY = 32

/** How a path is looked up: in the cache; below an upstream path, in the substituters first; confirmed upstream, in the substituters only. */
type Lookup = 'cache' | 'substituters-first' | 'substituters-only'

interface Visit {
  path: string
  /** The path whose References named it (itself for a root). */
  neededBy: string
  lookup: Lookup
}

interface WalkPlan {
  /** Follow upstream paths through the substituters' narinfos and keep the facts of every path. */
  facts: boolean
  substituters?: NarInfoSource
  /** Paths whose facts are known already (the other side of a diff): taken from here, not looked up. */
  known?: ReadonlyMap<string, PathFacts>
  /** Paths whose whole closure is known to be present: not visited. */
  skip?: ReadonlySet<string>
  concurrency: number
  signal?: AbortSignal
}

interface Walked {
  seen: Set<string>
  facts: Map<string, PathFacts>
  /** Neither in the cache nor counted present upstream, in the order the walk met them. */
  missing: Visit[]
  /** Paths the cache lacks and counts as present upstream. */
  upstream: number
  /** Upstream paths whose narinfo no substituter gave (facts walks only). */
  unknownUpstream: string[]
  /** GET narinfo requests to the cache. */
  lookups: number
}

function factsOf(info: NarInfo): PathFacts {
  return { narSize: info.narSize, references: info.references.map(fullPath), fileSize: info.fileSize }
}

async function walk(cache: CacheLookups, roots: string[], plan: WalkPlan): Promise<Walked> {
  const walked: Walked = {
    seen: new Set(),
    facts: new Map(),
    missing: [],
    upstream: 0,
    unknownUpstream: [],
    lookups: 0
  }
  const visit = (path: string, neededBy: string, lookup: Lookup, add: (item: Visit) => void): void => {
    if (walked.seen.has(path) || plan.skip?.has(path)) return
    walked.seen.add(path)
    add({ path, neededBy, lookup })
  }
  let round: Visit[] = []
  for (const root of roots) visit(root, root, 'cache', item => round.push(item))
  while (round.length > 0) {
    const notInCache: Visit[] = []
    await runQueue(
      round,
      plan.concurrency,
      async (item, add) => {
        const follow = (facts: PathFacts, next: Lookup): void => {
          if (plan.facts) walked.facts.set(item.path, facts)
          for (const reference of facts.references) visit(reference, item.path, next, add)
        }
        const known = plan.known?.get(item.path)
        if (known !== undefined) return follow(known, 'cache')
        const hash = hashPart(item.path)
        if (item.lookup !== 'cache') {
          const info = await plan.substituters?.narinfo(hash, plan.signal)
          // Hydra pushes closures: what an upstream path references is upstream too.
          if (info !== undefined) return follow(factsOf(info), 'substituters-first')
          if (item.lookup === 'substituters-only') {
            walked.unknownUpstream.push(item.path)
            return
          }
        }
        walked.lookups++
        const info = await cache.narinfo(hash, plan.signal)
        if (info !== undefined) return follow(factsOf(info), 'cache')
        notInCache.push(item)
      },
      plan.signal
    )
    plan.signal?.throwIfAborted()
    round = []
    if (notInCache.length === 0) break
    const absent = await cache.missingHashes(
      notInCache.map(item => hashPart(item.path)),
      plan.signal
    )
    for (const item of notInCache) {
      if (absent.has(hashPart(item.path))) walked.missing.push(item)
      else {
        walked.upstream++
        // A presence walk stops here: the whole closure of an upstream path is upstream.
        if (plan.facts) round.push({ ...item, lookup: 'substituters-only' })
      }
    }
  }
  return walked
}

export interface ClosureWalk {
  /** Every path reachable from the roots is in the cache or counted present upstream. */
  complete: boolean
  /** Narinfos looked up in the cache. */
  checked: number
  /** Paths the cache counts as present upstream (their closures, upstream too, are not walked). */
  upstream: number
  /** The first path found absent, and the path whose References named it (itself for a root). */
  firstMissing?: { path: string; neededBy: string }
}

export interface ClosureWalkOptions {
  /** Narinfo lookups in flight at once. */
  concurrency?: number
  signal?: AbortSignal
  /** Paths whose whole closure an earlier walk found present: not looked up again. Complete walks add to it. */
  verified?: Set<string>
}

/**
 * Whether the whole closure of `roots` is present, without the paths being in the local store:
 * a host counts as cached only when its whole closure is there, because caches lose paths to
 * garbage collection and a toplevel alone proves nothing.
 */
export async function walkClosure(
  cache: CacheLookups,
  roots: string[],
  options: ClosureWalkOptions = {}
): Promise<ClosureWalk> {
  const verified = options.verified ?? new Set<string>()
  const walked = await walk(cache, roots, {
    facts: false,
    skip: verified,
    concurrency: Math.max(1, options.concurrency ?? CLOSURE_WALK_CONCURRENCY),
    signal: options.signal
  })
  const first = walked.missing[0]
  if (first === undefined) for (const path of walked.seen) verified.add(path)
  return {
    complete: first === undefined,
    checked: walked.lookups,
    upstream: walked.upstream,
    firstMissing: first === undefined ? undefined : { path: first.path, neededBy: first.neededBy }
  }
}

/** One walk per root, sharing what earlier walks verified (hosts share most of their closures). */
export async function walkEach(
  cache: CacheLookups,
  roots: string[],
  options: ClosureWalkOptions = {}
): Promise<Map<string, ClosureWalk>> {
  const verified = options.verified ?? new Set<string>()
  const walks = new Map<string, ClosureWalk>()
  for (const root of new Set(roots)) walks.set(root, await walkClosure(cache, [root], { ...options, verified }))
  return walks
}

/** A host's walk: its output's closure, and each of its imports' (import from derivation). */
export interface TargetWalk {
  walk: ClosureWalk
  imports: [string, ClosureWalk][]
}

/** The walks of each target's output and imports, in the targets' order; one walk per distinct root. */
export async function walkTargets(
  cache: CacheLookups,
  targets: { outPath: string; imports?: string[] }[]
): Promise<TargetWalk[]> {
  const walks = await walkEach(
    cache,
    targets.flatMap(t => [t.outPath, ...(t.imports ?? [])])
  )
  return targets.map(t => ({
    walk: walks.get(t.outPath)!,
    imports: (t.imports ?? []).map(path => [path, walks.get(path)!])
  }))
}

/** What a log line says about one root's walk. */
export function describeWalk(root: string, walk: ClosureWalk): string {
  if (walk.complete) {
    const upstream =
      walk.upstream === 0
        ? ''
        : ` (${walk.upstream} path${walk.upstream === 1 ? '' : 's'} of it counted present upstream)`
    return `${root} and its whole closure are in the cache${upstream}`
  }
  const missing = walk.firstMissing
  if (missing === undefined || missing.path === root) return `${root} is not in the cache`
  return `${root} is in the cache but its closure is not: ${missing.path} (needed by ${missing.neededBy}) is missing`
}

export interface ClosureFacts {
  facts: Map<string, PathFacts>
  /** Paths the cache neither has nor counts as present upstream (the root first, when it is one of them). */
  missing: string[]
  /** Paths the cache counts as present upstream, whose narinfo none of the substituters gave. */
  unknownUpstream: string[]
}

export interface ClosureFactsOptions {
  /** Where the narinfos of upstream paths come from (the substituters the hosts use). */
  substituters?: NarInfoSource
  /** The other side's closure: a store path's references never change, so shared paths are not looked up. */
  known?: ReadonlyMap<string, PathFacts>
  concurrency?: number
  signal?: AbortSignal
}

function rootFirst(root: string): (a: string, b: string) => number {
  return (a, b) => (a === root ? -1 : b === root ? 1 : a < b ? -1 : a > b ? 1 : 0)
}

/**
 * The References, NarSize and FileSize of every path in the closure of `root`: from the cache's
 * narinfos, and for upstream paths from the substituters'. Nothing but narinfos is downloaded.
 */
export async function closureFacts(
  cache: CacheLookups,
  root: string,
  options: ClosureFactsOptions = {}
): Promise<ClosureFacts> {
  const walked = await walk(cache, [root], {
    facts: true,
    substituters: options.substituters,
    known: options.known,
    concurrency: Math.max(1, options.concurrency ?? CLOSURE_WALK_CONCURRENCY),
    signal: options.signal
  })
  return {
    facts: walked.facts,
    missing: walked.missing.map(m => m.path).sort(rootFirst(root)),
    unknownUpstream: walked.unknownUpstream.sort(rootFirst(root))
  }
}

/**
 * The FileSize of each path where a machine would download it: from `known`, else the cache's
 * narinfo, else the first substituter's that has it (undefined: nobody has it, or no FileSize).
 */
export async function downloadSizes(
  cache: NarInfoSource,
  substituters: NarInfoSource | undefined,
  paths: string[],
  known: ReadonlyMap<string, PathFacts>,
  concurrency = CLOSURE_WALK_CONCURRENCY
): Promise<Map<string, number | undefined>> {
  const sizes = new Map<string, number | undefined>()
  const ask: string[] = []
  for (const path of paths) {
    const size = known.get(path)?.fileSize
    if (size !== undefined) sizes.set(path, size)
    else ask.push(path)
  }
  await runQueue(ask, Math.max(1, concurrency), async path => {
    const hash = hashPart(path)
    const info = (await cache.narinfo(hash)) ?? (await substituters?.narinfo(hash))
    sizes.set(path, info?.fileSize)
  })
  return sizes
}

/** One lookup per store hash for the whole run: hosts share most of their closures. */
class SharedNarInfos implements NarInfoSource {
  private readonly seen = new Map<string, Promise<NarInfo | undefined>>()
  lookups = 0

  constructor(private readonly source: NarInfoSource) {}

  narinfo(hash: string, signal?: AbortSignal): Promise<NarInfo | undefined> {
    let found = this.seen.get(hash)
    if (found === undefined) {
      this.lookups++
      found = this.source.narinfo(hash, signal)
      // A failed lookup is not remembered, so a later host asks again.
      found.catch(() => this.seen.delete(hash))
      this.seen.set(hash, found)
    }
    return found
  }
}

/** SharedNarInfos for a cache, whose bulk query is asked about each hash once too. */
export class SharedCacheLookups extends SharedNarInfos implements CacheLookups {
  /** hash → missing from the cache (not even upstream) */
  private readonly answers = new Map<string, boolean>()
  bulkQueries = 0

  constructor(private readonly cache: CacheLookups) {
    super(cache)
  }

  async missingHashes(hashes: string[], signal?: AbortSignal): Promise<Set<string>> {
    const ask = [...new Set(hashes.filter(hash => !this.answers.has(hash)))]
    if (ask.length > 0) {
      this.bulkQueries++
      const missing = await this.cache.missingHashes(ask, signal)
      for (const hash of ask) this.answers.set(hash, missing.has(hash))
    }
    return new Set(hashes.filter(hash => this.answers.get(hash) === true))
  }
}
