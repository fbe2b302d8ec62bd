import { describe, expect, it } from '@jest/globals'
import { BufferPool, SizeClassPool } from '../../../../src/push/upload/buffer-pool.js'

describe('the buffer pool', () => {
  it('reuses buffers of its size and no others', () => {
    const pool = new BufferPool(1024, 1)
    const first = pool.take(1024)
    pool.give(first)
    expect(pool.take(1024)).toBe(first)
    const small = pool.take(10)
    expect(small.length).toBe(10)
    pool.give(small)
    expect(pool.take(10)).not.toBe(small)
    // A view into a buffer is never pooled: its owner may still use the rest.
    pool.give(Buffer.alloc(2048).subarray(1024))
    expect(pool.take(1024)).not.toBe(first)
  })
})

describe('the size-class pool', () => {
  it('rounds up to a power of two within its classes, reuses by class, and keeps no more than its budget', () => {
    const pool = new SizeClassPool(1024, 8192, 8192 + 4096)
    expect(pool.classOf(1)).toBe(1024)
    expect(pool.classOf(1025)).toBe(2048)
    expect(pool.classOf(8192)).toBe(8192)
    expect(pool.classOf(9000)).toBe(9000)
    const big = pool.take(5000)
    expect(big.length).toBe(8192)
    pool.give(big)
    expect(pool.take(8000)).toBe(big)
    // Past the budget a buffer is left to the collector.
    const a = pool.take(8192)
    const b = pool.take(4096)
    const c = pool.take(4096)
    pool.give(a)
    pool.give(b)
    pool.give(c)
    expect(pool.take(4096)).toBe(b)
    expect(pool.take(4096)).not.toBe(c)
    // Views and buffers of other lengths are never pooled.
    pool.give(Buffer.alloc(4096 * 2).subarray(0, 4096))
    pool.give(Buffer.alloc(3000))
    expect(pool.take(9000).length).toBe(9000)
  })
})
