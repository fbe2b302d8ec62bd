import { describe, expect, it } from '@jest/globals'
import { ByteBudget } from '../../../../src/push/upload/byte-budget.js'

describe('the byte budget', () => {
  it('grants in order and lets a cancelled waiter go without losing bytes', async () => {
    const budget = new ByteBudget(10)
    expect(await budget.acquire(8)).toBe(8)
    const controller = new AbortController()
    const cancelled = budget.acquire(5, controller.signal)
    const later = budget.acquire(2)
    controller.abort(new Error('upload stopped'))
    await expect(cancelled).rejects.toThrow('upload stopped')
    // The waiter behind the cancelled one fits in what is free and is granted at once.
    expect(await later).toBe(2)
    budget.release(8)
    budget.release(2)
    expect(budget.free).toBe(10)
  })

  it('caps a request at its capacity, so one large part never waits forever', async () => {
    const budget = new ByteBudget(4)
    expect(await budget.acquire(100)).toBe(4)
    budget.release(4)
    expect(budget.free).toBe(4)
  })

  it('an aborted signal is refused before anything is taken', async () => {
    const budget = new ByteBudget(4)
    await expect(budget.acquire(1, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone')
    expect(budget.free).toBe(4)
  })
})
