import type { NixStore } from '../nix/store.js'
import { createPusher } from './create.js'
import type { PushFilter } from './filter.js'
import type { Pusher } from './pusher.js'
import type { CachixSession } from '../cachix/session.js'
import { closureCoverage, type Coverage } from './coverage.js'
import type { Log } from '../util/log.js'
import { describePushing, startHeartbeat } from './heartbeat.js'
import { formatBytes } from '../util/format.js'
import { errorMessage } from '../util/errors.js'

export interface FinalPush {
  failures: { path: string; error: string }[]
  leftovers: string[]
  fatal?: string
  /** Unknown when the cache could not be asked (an outage, a token revoked meanwhile): see `unchecked`. */
  coverage?: Coverage
  /** Why the built closures could not be checked against the cache. */
  unchecked?: string
}

export interface FinalPushPlan {
  session: CachixSession
  store: NixStore
  filter: PushFilter
  pusher: Pusher
  /** Built toplevels and attributes: their closures must end up in the cache. */
  roots: string[]
  drainMs: number
  jobs: number
  exclude?: RegExp
  /** Records each upload (path → compressed bytes). */
  onUploaded: (path: string, fileSize: number) => void
  /** Interval of the heartbeat lines while pushing (default: none). */
  heartbeatMs?: number
  /** Where progress lines go. */
  log: Log
}

/**
 * Drains what the hook queued, then checks the closure of every root against the cache and
 * pushes what is still missing (substituted or fetched paths the hook never saw). Both passes
 * share one drain-timeout, counted from here: the build before it does not use it up.
 */
export async function finalPush(plan: FinalPushPlan): Promise<FinalPush> {
  const { session, store, filter } = plan
  const log = plan.log
  const started = Date.now()
  let active: Pusher = plan.pusher
  const stopHeartbeat =
    plan.heartbeatMs === undefined
      ? () => undefined
      : startHeartbeat(plan.heartbeatMs, log, () => `final push: ${describePushing(active.totals())}`)
  try {
    plan.pusher.add(plan.roots)
    const first = await plan.pusher.drain(plan.drainMs)
    log.info(
      `Pushed ${first.uploaded} paths (${formatBytes(first.uploadedFileBytes)}); ${first.skippedPresent} already present; ${first.failed} failed`
    )
    const check = (): Promise<Coverage | string> =>
      closureCoverage(session.client, store, filter, plan.roots).catch((error: unknown) => errorMessage(error))
    let coverage = await check()
    let failures = first.failures
    let leftovers = first.leftovers
    const remainingMs = plan.drainMs - (Date.now() - started)
    if (typeof coverage !== 'string' && coverage.missing.length > 0 && !first.fatal) {
      if (remainingMs <= 0) {
        log.info(
          `${coverage.missing.length} paths of the built closures are still missing from the cache, and drain-timeout has passed`
        )
      } else {
        log.info(
          `${coverage.missing.length} paths of the built closures are still missing from the cache: pushing them again`
        )
        active = createPusher(session, store, { jobs: plan.jobs, exclude: plan.exclude, onUploaded: plan.onUploaded })
        active.add(coverage.missing)
        const second = await active.drain(remainingMs)
        // Paths that failed the first time and were pushed now are no longer failures.
        failures = second.failures
        leftovers = second.leftovers
        coverage = await check()
      }
    }
    // The cache did not answer the check: a build is never failed for it, the findings say so.
    if (typeof coverage === 'string') return { failures, leftovers, fatal: first.fatal, unchecked: coverage }
    return { failures, leftovers, fatal: first.fatal, coverage }
  } finally {
    stopHeartbeat()
  }
}
