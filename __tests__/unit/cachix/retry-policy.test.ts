import { describe, expect, it } from '@jest/globals'
import { nextDelay, parseRetryAfter } from '../../../src/cachix/retry-policy.js'

describe('retry policy', () => {
  const policy = { baseDelayMs: 1000, maxDelayMs: 15000, budgetMs: 90000, maxRetryAfterMs: 120000 }
  it('full jitter within [2^n/2, 2^n] s, capped at 15 s', () => {
    expect(nextDelay(policy, 0, 0, undefined, () => 0)).toBe(500)
    expect(nextDelay(policy, 3, 0, undefined, () => 1)).toBe(8000)
    expect(nextDelay(policy, 10, 0, undefined, () => 1)).toBe(15000)
  })
  it('honours Retry-After up to 120 s and stops when the budget would be passed', () => {
    expect(nextDelay(policy, 0, 0, 30000, () => 0.5)).toBe(30000)
    expect(nextDelay(policy, 0, 0, 500000, () => 0.5)).toBe(undefined)
    expect(nextDelay({ ...policy, budgetMs: 200000 }, 0, 0, 500000, () => 0.5)).toBe(120000)
    expect(nextDelay(policy, 5, 89000, undefined, () => 0)).toBeUndefined()
  })
  it('reads Retry-After in seconds or as a date', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000)
    expect(parseRetryAfter(new Date(60000).toUTCString(), 0)).toBe(60000)
    expect(parseRetryAfter('soon', 0)).toBeUndefined()
  })
})
