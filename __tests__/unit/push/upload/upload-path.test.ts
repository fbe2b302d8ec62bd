import { describe, expect, it } from '@jest/globals'
import { DEFAULT_PART_SIZE, partSizeFor } from '../../../../src/push/upload/upload-path.js'

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
