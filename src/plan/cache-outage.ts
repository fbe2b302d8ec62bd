import type { CachixClient } from '../cachix/client.js'
import { rejectedToken } from '../report/cache-trouble.js'
import { readerOf, type CacheAccess } from '../cachix/cache-access.js'
import { errorMessage } from '../util/errors.js'

export interface PlanFinding {
  level: 'error' | 'warning'
  message: string
}

const EVERY_HOST = 'every host gets a row, because the plan cannot know what is cached'

/**
 * The client the plan reads the cache with: the one that opened it, a read-only token, or no
 * token for a public cache whose token was rejected. Undefined, with a warning, when the cache
 * cannot be read: the plan then has a row for every host rather than none.
 */
export function planReader(cache: string, access: CacheAccess, findings: PlanFinding[]): CachixClient | undefined {
  const reader = readerOf(access)?.client
  if (access.state === 'rejected') {
    const { what, todo } = rejectedToken(cache, access.status)
    findings.push({
      level: 'warning',
      message: `${what}. ${todo} ${reader === undefined ? `The cache is private and cannot be read without a valid token, so ${EVERY_HOST}.` : 'The plan read the cache without the token (it is public).'}`
    })
  } else if (access.state === 'unavailable')
    findings.push({
      level: 'warning',
      message: `Cachix cache ${cache} could not be read (${access.reason}): ${EVERY_HOST}.`
    })
  return reader
}

/** The cache stopped answering while the plan walked it: no host counts as cached. */
export function walkFailed(cache: string, error: unknown, cached: Set<string>, findings: PlanFinding[]): void {
  cached.clear()
  findings.push({
    level: 'warning',
    message: `Cachix cache ${cache} could not be read (${errorMessage(error)}): ${EVERY_HOST}.`
  })
}
