import { CachixClient, CachixError } from './client.js'
import { CACHIX_RETRY_POLICY, scaledPolicy, type RetryPolicy } from './retry-policy.js'
import type { BinaryCache } from './types.js'
import { retryScale } from '../util/knobs.js'
import { openCachixSession, ReadOnlyTokenError, type CachixSession, type CachixSessionOptions } from './session.js'
import { errorMessage } from '../util/errors.js'
import { sleep } from '../util/async.js'

/**
 * What opening a cache came to. Only `open` can push; `read-only` and a `rejected` token on a
 * public cache can still be pulled from; `unavailable` (5xx, 429, no connection, past the
 * retries) may pass, so it is worth trying again later; `missing` is a mistake in the workflow.
 */
export type CacheAccess =
  | { state: 'open'; session: CachixSession }
  | { state: 'read-only'; reason: string; reader: Reader }
  | { state: 'rejected'; reason: string; status: number; anonymous?: Reader }
  | { state: 'unavailable'; reason: string }
  | { state: 'missing'; reason: string }

/** A cache that can be read, and the client to read it with. */
export interface Reader {
  cache: BinaryCache
  client: CachixClient
}

/** How long one attempt to open a cache may take. */
export interface ContactLimits {
  /** Back-off between retries, with its budget. */
  retryPolicy: RetryPolicy
  /** The whole attempt, answers included: a server that accepts connections and never answers counts too. */
  deadlineMs: number
}

/**
 * The first contact, before anything is built: Cachix's own back-off (1 s doubling, jittered,
 * Retry-After honoured) but 15 s of it at most, and 30 s in all, rather than its 90 s per call.
 * A blip (one 502 from the CDN, a restart) is over within that; an outage lasts minutes to
 * hours, and every leg of the matrix would wait it out in parallel with nothing to show for it.
 * A leg loses nothing by starting to build without the cache: it tries again before the final
 * push, for as long as drain-timeout allows.
 */
export function firstContactLimits(scale: number = retryScale()): ContactLimits {
  return {
    retryPolicy: scaledPolicy({ ...CACHIX_RETRY_POLICY, budgetMs: 15_000 }, scale),
    deadlineMs: 30_000 * scale
  }
}

/** Opens a session, or says why not, within `limits`. Never throws. */
export async function openCacheAccess(
  options: CachixSessionOptions,
  limits: ContactLimits = firstContactLimits()
): Promise<CacheAccess> {
  let lastRetry: string | undefined
  const watched: CachixSessionOptions = {
    ...options,
    onRetry: (what, attempt, delayMs, reason) => {
      lastRetry = reason
      options.onRetry?.(what, attempt, delayMs, reason)
    }
  }
  const deadline = AbortSignal.timeout(Math.max(1, limits.deadlineMs))
  try {
    return {
      state: 'open',
      session: await openCachixSession(watched, { signal: deadline, retryPolicy: limits.retryPolicy })
    }
  } catch (error: unknown) {
    if (error instanceof ReadOnlyTokenError)
      return { state: 'read-only', reason: error.message, reader: { cache: error.cache, client: error.client } }
    const hasToken = (options.authToken ?? '') !== ''
    if (error instanceof CachixError && (error.status === 404 || (error.status === 401 && !hasToken)))
      return { state: 'missing', reason: error.message }
    if (error instanceof CachixError && (error.status === 401 || error.status === 403))
      return {
        state: 'rejected',
        reason: error.message,
        status: error.status,
        anonymous: await publicReader(options, limits)
      }
    const reason = deadline.aborted
      ? `no answer within ${formatSeconds(limits.deadlineMs)}${lastRetry === undefined ? '' : `, the last attempt got ${lastRetry}`}`
      : errorMessage(error)
    return { state: 'unavailable', reason }
  }
}

/** The cache read without a token, when it is public: a rejected token still lets the job pull from it. */
async function publicReader(options: CachixSessionOptions, limits: ContactLimits): Promise<Reader | undefined> {
  const client = new CachixClient({ ...options, authToken: undefined })
  try {
    const cache = await client.getCache(AbortSignal.timeout(Math.max(1, limits.deadlineMs)), limits.retryPolicy)
    return cache.isPublic ? { cache, client } : undefined
  } catch {
    return undefined
  }
}

/**
 * Tries to open the session until `deadline` (ms since the epoch): each try with Cachix's full
 * back-off, a pause between tries, so an outage of a few minutes is waited out. Stops at the
 * first answer that is not an outage.
 */
export async function openBefore(
  options: CachixSessionOptions,
  deadline: number,
  onTry?: (access: CacheAccess) => void,
  scale: number = retryScale()
): Promise<CacheAccess> {
  const policy = options.retryPolicy ?? scaledPolicy(CACHIX_RETRY_POLICY, scale)
  let access: CacheAccess = { state: 'unavailable', reason: 'drain-timeout left no time to try again' }
  for (;;) {
    const left = deadline - Date.now()
    if (left <= 0) return access
    access = await openCacheAccess(options, {
      retryPolicy: { ...policy, budgetMs: Math.min(policy.budgetMs, left) },
      deadlineMs: left
    })
    onTry?.(access)
    if (access.state !== 'unavailable') return access
    await sleep(Math.min(policy.maxDelayMs, Math.max(0, deadline - Date.now())))
  }
}

/** Whoever can read the cache now: the session, a read-only token, or no token for a public cache. */
export function readerOf(access: CacheAccess): Reader | undefined {
  switch (access.state) {
    case 'open':
      return { cache: access.session.cache, client: access.session.client }
    case 'read-only':
      return access.reader
    case 'rejected':
      return access.anonymous
    default:
      return undefined
  }
}

/** Why the cache cannot be read (or opened): the reason of any state but open. */
export function whyUnread(access: CacheAccess): string {
  return access.state === 'open' ? 'it is open' : access.reason
}

function formatSeconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`
}
