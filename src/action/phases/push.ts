import { createPusher } from '../../push/create.js'
import { makePushFilter } from '../../push/filter.js'
import { finalPush, type FinalPush } from '../../push/final-push.js'
import type { Pusher } from '../../push/pusher.js'
import { heartbeatMs } from '../../util/knobs.js'
import type { BuiltStep } from './build.js'
import type { CacheSetup } from './cachix.js'
import type { Run } from './run.js'
import { STEP_LOG } from './step-log.js'

/** The pusher the build streams to, and what it uploaded. */
export interface PushStream {
  pusher: Pusher
  /** path → compressed bytes, for every upload of this run */
  pushed: Map<string, number>
}

/** A pusher when this leg pushes and the cache is open: while building, or once Cachix answers again after an outage. */
export function startPushing({ inputs, store }: Run, cache: CacheSetup): PushStream | undefined {
  if (!cache.canPush || !cache.session) return undefined
  const pushed = new Map<string, number>()
  const pusher = createPusher(cache.session, store, {
    jobs: inputs.pushJobs,
    exclude: inputs.pushFilter,
    log: STEP_LOG,
    onUploaded: (path, size) => pushed.set(path, size)
  })
  return { pusher, pushed }
}

export interface PushOutcome {
  final: FinalPush
  /** path → compressed bytes, for every upload of this run (while building and after) */
  pushed: Map<string, number>
}

/** Drains what the build queued, then pushes what the cache still lacks of every built root, within drain-timeout. */
export async function pushPhase(run: Run, cache: CacheSetup, build: BuiltStep): Promise<PushOutcome | undefined> {
  const { inputs, store } = run
  const stream = build.stream ?? startPushing(run, cache)
  if (stream === undefined || cache.session === undefined) return undefined
  const drainMs = build.drainDeadline - Date.now()
  const valid = await store.validPaths(build.roots)
  const final = await finalPush({
    session: cache.session,
    store,
    filter: makePushFilter(inputs.pushFilter),
    pusher: stream.pusher,
    roots: [...valid],
    drainMs,
    jobs: inputs.pushJobs,
    exclude: inputs.pushFilter,
    onUploaded: (path, size) => stream.pushed.set(path, size),
    heartbeatMs: heartbeatMs(),
    log: STEP_LOG
  })
  return { final, pushed: stream.pushed }
}
