import { describe, expect, it } from '@jest/globals'
import { CACHIX_RETRY_POLICY, scaledPolicy } from '../../../src/cachix/retry-policy.js'
import { firstContactLimits } from '../../../src/cachix/cache-access.js'
import { retryScale } from '../../../src/util/knobs.js'

describe('how long the first contact may take', () => {
  it("Cachix's back-off, 15 s of it and 30 s in all, while every other call keeps the protocol's 90 s", () => {
    expect(firstContactLimits(1)).toEqual({
      retryPolicy: { baseDelayMs: 1000, maxDelayMs: 15_000, budgetMs: 15_000, maxRetryAfterMs: 120_000 },
      deadlineMs: 30_000
    })
    expect(CACHIX_RETRY_POLICY).toEqual({
      baseDelayMs: 1000,
      maxDelayMs: 15_000,
      budgetMs: 90_000,
      maxRetryAfterMs: 120_000
    })
  })

  it('the retry-scale knob shrinks every wait alike, and refuses what is not a factor', () => {
    expect(retryScale({})).toBe(1)
    expect(retryScale({ NIX_CACHIX_BUILD_RETRY_SCALE: '0.01' })).toBe(0.01)
    expect(scaledPolicy(CACHIX_RETRY_POLICY, 0.01)).toEqual({
      baseDelayMs: 10,
      maxDelayMs: 150,
      budgetMs: 900,
      maxRetryAfterMs: 1200
    })
    expect(firstContactLimits(0.01).deadlineMs).toBe(300)
    for (const bad of ['0', '2', 'fast', '-1'])
      expect(() => retryScale({ NIX_CACHIX_BUILD_RETRY_SCALE: bad })).toThrow(
        `NIX_CACHIX_BUILD_RETRY_SCALE must be a number above 0 and at most 1, not "${bad}"`
      )
  })
})
