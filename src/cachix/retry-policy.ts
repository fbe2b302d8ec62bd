export interface RetryPolicy {
  /** First delay; the n-th delay is uniform in [2ⁿ·base/2, 2ⁿ·base]. */
  baseDelayMs: number
  maxDelayMs: number
  /** Stop once the summed delays would pass this. */
  budgetMs: number
  /** Longest Retry-After that is honoured. */
  maxRetryAfterMs: number
}

// Cachix's own client: full-jitter backoff from 1 s, 15 s cap, 90 s per call, Retry-After ≤ 120 s.
export const CACHIX_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 1000,
  maxDelayMs: 15_000,
  budgetMs: 90_000,
  maxRetryAfterMs: 120_000
}

/** `policy` with every wait multiplied by `scale` (the retry-scale knob of tests). */
export function scaledPolicy(policy: RetryPolicy, scale: number): RetryPolicy {
  if (scale === 1) return policy
  return {
    baseDelayMs: policy.baseDelayMs * scale,
    maxDelayMs: policy.maxDelayMs * scale,
    budgetMs: policy.budgetMs * scale,
    maxRetryAfterMs: policy.maxRetryAfterMs * scale
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500
}

/** Retry-After in seconds or as an HTTP date, as milliseconds from `now`. */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined
  const text = header.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The delay before retry number `attempt` (0-based), or undefined when the budget is spent. */
export function nextDelay(
  policy: RetryPolicy,
  attempt: number,
  spentMs: number,
  retryAfterMs: number | undefined,
  random: () => number
): number | undefined {
  let delay: number
  if (retryAfterMs !== undefined) {
    delay = Math.min(retryAfterMs, policy.maxRetryAfterMs)
  } else {
    const ceiling = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs)
    delay = ceiling / 2 + random() * (ceiling / 2)
  }
  if (spentMs + delay > policy.budgetMs) return undefined
  return Math.round(delay)
}
