import type { Finding } from './finding.js'
import type { CacheAccess } from '../cachix/cache-access.js'
import { readerOf } from '../cachix/cache-access.js'
import { errorMessage } from '../util/errors.js'

/** Why the leg had no session, and what came of the try before the final push. */
export interface TroubleReport {
  cache: string
  access: Exclude<CacheAccess, { state: 'open' } | { state: 'missing' }>
  /** The leg has credentials and meant to push. */
  wantedPush: boolean
  /** The try before the final push (only after an outage, and only when the leg meant to push). */
  late?: CacheAccess
  drainTimeoutSeconds: number
}

const SECRET = 'the CACHIX_AUTH_TOKEN secret (the one this workflow passes as cachix-auth-token)'

/** What happened to a rejected token and what to do about it (the action's report and the planner's warning). */
function rejectedToken(cache: string, status: number): { what: string; todo: string } {
  return {
    what: `the Cachix auth token was rejected by cache ${cache} (HTTP ${status}: revoked, rotated, or not a token for this cache)`,
    todo: `Rotate ${SECRET}: create a token with write access to ${cache} in the cache's settings on app.cachix.org and store it there.`
  }
}

/**
 * What the report says about a cache the leg could not open: what happened, what it cost, and
 * what to do. A push that did not happen is an error to act on, but a push problem: the status
 * is problems and the step fails only with fail-on-push-error.
 */
export function troubleFindings(report: TroubleReport): Finding[] {
  const { cache, access, late } = report
  if (access.state === 'unavailable') {
    if (!report.wantedPush)
      return [
        {
          level: 'notice',
          message: `Cachix cache ${cache} could not be reached (${access.reason}): the hosts were built without it, from the other caches.`
        }
      ]
    if (late === undefined) return []
    switch (late.state) {
      case 'open':
        return [
          {
            level: 'notice',
            message: `Cachix cache ${cache} could not be reached when the job started (${access.reason}): the hosts were built without it, and the push ran once it answered again after the build.`
          }
        ]
      case 'unavailable':
        return [
          {
            level: 'error',
            pushProblem: true,
            message: `Cachix cache ${cache} could not be reached, neither when the job started nor during drain-timeout (${report.drainTimeoutSeconds} s) after the build (${late.reason}): nothing was pushed, so what this job built is not in the cache. Re-run the job once Cachix answers again (https://status.cachix.org), or the machines will build it themselves.`
          }
        ]
      case 'missing':
        return [{ level: 'error', message: `${late.reason} (it could not be reached when the job started)` }]
      default:
        return troubleFindings({ ...report, access: late, late: undefined })
    }
  }
  const pulled = readerOf(access) !== undefined
  if (access.state === 'read-only')
    return [
      {
        level: 'error',
        pushProblem: true,
        message: `the Cachix auth token may only read cache ${cache}: nothing was pushed (the hosts were built pulling from it). Store a token with write access to ${cache} in ${SECRET}, or pass no token if this job should only pull.`
      }
    ]
  const built = pulled
    ? `The hosts were built pulling from ${cache} without the token (it is public).`
    : `The hosts were built without ${cache}, from the other caches (it is private, and cannot be read without a valid token).`
  const { what, todo } = rejectedToken(cache, access.status)
  if (!report.wantedPush) return [{ level: 'warning', message: `${what}. ${todo} ${built}` }]
  return [{ level: 'error', pushProblem: true, message: `${what}: nothing was pushed. ${todo} ${built}` }]
}

const EVERY_HOST = 'every host gets a row, because the plan cannot know what is cached'

/**
 * What the planner says about a cache it could not open (`access`, undefined when it could):
 * a warning, since the plan then has a row for every host it cannot see cached.
 */
export function planTroubleFindings(cache: string, access: CacheAccess | undefined): Finding[] {
  if (access?.state === 'rejected') {
    const { what, todo } = rejectedToken(cache, access.status)
    const read =
      access.anonymous === undefined
        ? `The cache is private and cannot be read without a valid token, so ${EVERY_HOST}.`
        : 'The plan read the cache without the token (it is public).'
    return [{ level: 'warning', message: `${what}. ${todo} ${read}` }]
  }
  if (access?.state === 'unavailable')
    return [{ level: 'warning', message: `Cachix cache ${cache} could not be read (${access.reason}): ${EVERY_HOST}.` }]
  return []
}

/** The cache stopped answering while the plan walked it: no host counts as cached. */
export function walkFailed(cache: string, error: unknown, cached: Set<string>, findings: Finding[]): void {
  cached.clear()
  findings.push({
    level: 'warning',
    message: `Cachix cache ${cache} could not be read (${errorMessage(error)}): ${EVERY_HOST}.`
  })
}
