import { describe, expect, it } from '@jest/globals'
import { BufferPool, SizeClassPool } from '../../src/push/buffer-pool.js'
import { ByteBudget } from '../../src/push/byte-budget.js'
import { describeWalk } from '../../src/push/closure-walk.js'
import {
  forcedZstdPerPath,
  forcedZstdProcess,
  hashOnMainThread,
  heartbeatMs,
  narFromNixStore,
  storeRoot
} from '../../src/util/knobs.js'
import { DEFAULT_PART_SIZE, partSizeFor } from '../../src/push/upload-path.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

describe('part sizes', () => {
  it.each([
    [1, DEFAULT_PART_SIZE],
    [2 * GiB, DEFAULT_PART_SIZE],
    // 8 MiB × 9,000 parts is about 70 GiB; beyond that parts grow in whole MiB.
    [70 * GiB, 8 * MiB],
    [100 * GiB, 12 * MiB],
    [500 * GiB, 57 * MiB]
  ])('a NAR of %d bytes is cut into parts of %d bytes', (narSize, partSize) => {
    expect(partSizeFor(narSize, DEFAULT_PART_SIZE)).toBe(partSize)
    expect(Math.ceil(narSize / partSizeFor(narSize, DEFAULT_PART_SIZE))).toBeLessThanOrEqual(10_000)
  })

  it('parts are far above the 5 MiB minimum of object storage', () => {
    expect(DEFAULT_PART_SIZE).toBeGreaterThanOrEqual(5 * MiB)
  })
})

describe('closure walk messages', () => {
  const top = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-top'
  const lib = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib'
  it.each([
    [{ complete: true, checked: 3 }, `${top} and its whole closure are in the cache`],
    [{ complete: false, checked: 1, firstMissing: { path: top, neededBy: top } }, `${top} is not in the cache`],
    [
      { complete: false, checked: 2, firstMissing: { path: lib, neededBy: top } },
      `${top} is in the cache but its closure is not: ${lib} (needed by ${top}) is missing`
    ]
  ])('%j reads "%s"', (walk, text) => {
    expect(describeWalk(top, walk)).toBe(text)
  })
})

describe('test and bench knobs', () => {
  it.each([
    [{}, '', false, false, false, false, 60_000],
    [{ NIX_CACHIX_BUILD_STORE_ROOT: '/opt/nix-sid/' }, '/opt/nix-sid', false, false, false, false, 60_000],
    [
      { NIX_CACHIX_BUILD_ZSTD: 'process', NIX_CACHIX_BUILD_NAR: 'nix-store', NIX_CACHIX_BUILD_HEARTBEAT_SECONDS: '2' },
      '',
      true,
      false,
      true,
      false,
      2000
    ],
    [{ NIX_CACHIX_BUILD_ZSTD: 'process-per-path', NIX_CACHIX_BUILD_HASH: 'main' }, '', true, true, false, true, 60_000]
  ])('%j', (env, root, zstdProcess, zstdPerPath, nixStore, hashMain, heartbeat) => {
    expect(storeRoot(env)).toBe(root)
    expect(forcedZstdProcess(env)).toBe(zstdProcess)
    expect(forcedZstdPerPath(env)).toBe(zstdPerPath)
    expect(narFromNixStore(env)).toBe(nixStore)
    expect(hashOnMainThread(env)).toBe(hashMain)
    expect(heartbeatMs(env)).toBe(heartbeat)
  })

  it.each([
    [
      () => storeRoot({ NIX_CACHIX_BUILD_STORE_ROOT: 'relative' }),
      /NIX_CACHIX_BUILD_STORE_ROOT must be an absolute directory, not "relative"/
    ],
    [
      () => forcedZstdProcess({ NIX_CACHIX_BUILD_ZSTD: 'zlib' }),
      /NIX_CACHIX_BUILD_ZSTD may only be "process" or "process-per-path", not "zlib"/
    ],
    [
      () => hashOnMainThread({ NIX_CACHIX_BUILD_HASH: 'worker' }),
      /NIX_CACHIX_BUILD_HASH may only be "main", not "worker"/
    ],
    [
      () => narFromNixStore({ NIX_CACHIX_BUILD_NAR: 'dump' }),
      /NIX_CACHIX_BUILD_NAR may only be "nix-store", not "dump"/
    ],
    [
      () => heartbeatMs({ NIX_CACHIX_BUILD_HEARTBEAT_SECONDS: 'soon' }),
      /NIX_CACHIX_BUILD_HEARTBEAT_SECONDS must be a number of seconds \(1 or more\), not "soon"/
    ],
    [() => heartbeatMs({ NIX_CACHIX_BUILD_HEARTBEAT_SECONDS: '0' }), /not "0"/]
  ])('a bad value is refused: %#', (read, message) => {
    expect(read).toThrow(message)
  })
})

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
