import { describe, expect, it } from '@jest/globals'
import { runQueue, mapLimit } from '../../../src/util/async.js'

describe('bounded work queue', () => {
  it('never runs more than the limit at once and takes work added on the way', async () => {
    let active = 0
    let peak = 0
    const done: number[] = []
    await runQueue([1, 2, 3], 2, async (n, add) => {
      active++
      peak = Math.max(peak, active)
      await new Promise(resolve => setTimeout(resolve, 5))
      if (n < 10) add(n * 10)
      done.push(n)
      active--
    })
    expect(peak).toBe(2)
    expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 10, 20, 30])
  })

  it('rejects with the first failure after the work in flight settles', async () => {
    let settled = 0
    const run = runQueue([1, 2, 3, 4], 2, async n => {
      await new Promise(resolve => setTimeout(resolve, n * 5))
      settled++
      if (n === 1) throw new Error('one failed')
    })
    await expect(run).rejects.toThrow('one failed')
    expect(settled).toBe(2)
  })
})

describe('the planner, one evaluation per host', () => {
  it('runs at most `limit` at once and keeps the order', async () => {
    let inFlight = 0
    let most = 0
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async n => {
      most = Math.max(most, ++inFlight)
      await new Promise(r => setTimeout(r, n * 5))
      inFlight--
      return n * 10
    })
    expect(results).toEqual([50, 10, 40, 20, 30])
    expect(most).toBe(2)
  })
})
