import { describe, expect, it } from '@jest/globals'
import { ZstdFrameEnds } from '../../../../src/push/upload/zstd-frames.js'

// Written by the zstd program (1.5.4): "hello\n" with a checksum, the empty input (a single
// segment with its content size), and 300,000 zero bytes without a checksum (several blocks).
const HELLO = Buffer.from('28b52ffd045831000068656c6c6f0a5388bd91', 'hex')
const EMPTY = Buffer.from('28b52ffd240001000099e9d851', 'hex')
const ZEROS = Buffer.from('28b52ffd00585400001000000100fbff39c00202001000039f0400', 'hex')

interface Shape {
  checksum?: boolean
  singleSegment?: boolean
  dictionaryFlag?: number
  sizeFlag?: number
  /** Block types (0 raw, 1 RLE, 2 compressed) and sizes; the last one is marked last. */
  blocks: [number, number][]
}

/** A frame of the given shape; block contents are filler, which the finder skips unread. */
function frame(shape: Shape): Buffer {
  const single = shape.singleSegment ?? false
  const dictionary = shape.dictionaryFlag ?? 0
  const size = shape.sizeFlag ?? 0
  const descriptor = (size << 6) | (single ? 0x20 : 0) | (shape.checksum ? 0x04 : 0) | dictionary
  const header = [0x28, 0xb5, 0x2f, 0xfd, descriptor]
  if (!single) header.push(0x58)
  header.push(...new Array<number>([0, 1, 2, 4][dictionary]).fill(7))
  header.push(...new Array<number>([single ? 1 : 0, 2, 4, 8][size]).fill(9))
  const pieces = [Buffer.from(header)]
  shape.blocks.forEach(([type, bytes], i) => {
    const last = i === shape.blocks.length - 1 ? 1 : 0
    const blockHeader = last | (type << 1) | (bytes << 3)
    pieces.push(Buffer.from([blockHeader & 0xff, (blockHeader >> 8) & 0xff, (blockHeader >> 16) & 0xff]))
    pieces.push(Buffer.alloc(type === 1 ? 1 : bytes, 0xab))
  })
  if (shape.checksum) pieces.push(Buffer.from([1, 2, 3, 4]))
  return Buffer.concat(pieces)
}

/** Where the finder says each frame of `stream` ends, fed in pieces of `chunk` bytes. */
function ends(stream: Buffer, chunk: number): number[] {
  const finder = new ZstdFrameEnds()
  const found: number[] = []
  for (let start = 0; start < stream.length; start += chunk) {
    const piece = stream.subarray(start, start + chunk)
    for (let at = 0; ;) {
      const end = finder.end(piece.subarray(at))
      if (end < 0) break
      at += end
      found.push(start + at)
    }
  }
  return found
}

function offsets(frames: Buffer[]): number[] {
  let total = 0
  return frames.map(f => (total += f.length))
}

describe('where zstd frames end', () => {
  const shapes: [string, Shape][] = [
    ['one raw block, checksum', { checksum: true, blocks: [[0, 10]] }],
    ['an empty raw block', { blocks: [[0, 0]] }],
    [
      'RLE and compressed blocks',
      {
        blocks: [
          [1, 5000],
          [2, 300],
          [0, 128 * 1024 - 1]
        ]
      }
    ],
    [
      'single segment, 8-byte content size, 4-byte dictionary, checksum',
      { singleSegment: true, sizeFlag: 3, dictionaryFlag: 3, checksum: true, blocks: [[2, 40]] }
    ],
    [
      '2-byte content size, 1-byte dictionary',
      {
        sizeFlag: 1,
        dictionaryFlag: 1,
        blocks: [
          [2, 3],
          [1, 9]
        ]
      }
    ],
    ['4-byte content size, 2-byte dictionary', { sizeFlag: 2, dictionaryFlag: 2, checksum: true, blocks: [[0, 1]] }]
  ]

  it.each(shapes)('%s, whole and fed byte by byte', (_name, shape) => {
    const one = frame(shape)
    for (const chunk of [1, 2, 3, 5, one.length]) expect(ends(one, chunk)).toEqual([one.length])
  })

  it.each([1, 4, 7, 64, 1 << 20])(
    'frames back to back, the zstd program’s among them, in pieces of %d bytes',
    chunk => {
      const frames = [HELLO, ...shapes.map(([, shape]) => frame(shape)), EMPTY, ZEROS, HELLO]
      expect(ends(Buffer.concat(frames), chunk)).toEqual(offsets(frames))
    }
  )

  it('says -1 while a frame goes on, and finds the end in the piece that has it', () => {
    const finder = new ZstdFrameEnds()
    expect(finder.end(HELLO.subarray(0, 10))).toBe(-1)
    expect(finder.end(Buffer.concat([HELLO.subarray(10), EMPTY.subarray(0, 3)]))).toBe(HELLO.length - 10)
  })

  it.each([
    ['bytes that are not a frame', Buffer.from('nix-archive-1\0\0\0')],
    ['a block of the reserved type', frame({ blocks: [[3, 1]] })]
  ])('refuses %s', (_name, bytes) => {
    expect(() => new ZstdFrameEnds().end(bytes)).toThrow(/not a zstd frame|reserved type/)
  })
})
