import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as zlib from 'node:zlib'
import { forcedZstdProcess, zstdKnob } from '../../util/knobs.js'
import { errorMessage, asError } from '../../util/errors.js'

type ZstdCompress = (
  buffer: Buffer,
  options: { chunkSize?: number; params: Record<number, number> },
  callback: (error: Error | null, result: Buffer) => void
) => void

interface ZstdZlib {
  zstdCompress?: ZstdCompress
  createZstdCompress?: (options?: { params?: Record<number, number> }) => { _handle?: unknown; close(): void }
  constants: Record<string, number | undefined>
}

// node:zlib has zstd from Node 22.15 on (the node24 runtime); Node 20 has none.
const zstd = zlib as unknown as ZstdZlib

// zlib hands its output back in chunks of this size, one trip between the pool and the main
// thread each: at its 16 KiB default a frame takes hundreds of trips (measured: 40% more CPU).
const MAX_OUTPUT_CHUNK = 1024 * 1024

/** One independent zstd frame of `data` through node:zlib's public one-shot API (a new context and output buffers per call). */
export function compressFrame(data: Buffer, level: number): Promise<Buffer> {
  const compress = zstd.zstdCompress
  const levelParam = zstd.constants.ZSTD_c_compressionLevel
  if (compress === undefined || levelParam === undefined)
    return Promise.reject(new Error('this Node has no zstd in node:zlib'))
  return new Promise((resolve, reject) => {
    compress(
      data,
      { chunkSize: Math.min(MAX_OUTPUT_CHUNK, Math.max(16 * 1024, data.length)), params: { [levelParam]: level } },
      (error, result) => (error ? reject(error) : resolve(result))
    )
  })
}

/** The most a zstd frame of `bytes` can take (ZSTD_COMPRESSBOUND), plus room for the frame header. */
export function compressedBound(bytes: number): number {
  const small = 128 * 1024
  return bytes + (bytes >>> 8) + (bytes < small ? (small - bytes) >>> 11 : 0) + 64
}

/**
 * node:zlib's own zstd compression context, driven the way node:zlib drives it, but kept for
 * many frames and writing into the caller's buffer: one trip to the thread pool per frame, no
 * output chunks, no new context per frame (each of those is memory the garbage collector has
 * to find again, and the collections cost more CPU than the hashing).
 */
interface NativeZstdHandle {
  init(params: Uint32Array, pledgedSrcSize: number | undefined, writeState: Uint32Array, callback: () => void): void
  write(
    flush: number,
    input: Buffer,
    inOffset: number,
    inLength: number,
    output: Buffer,
    outOffset: number,
    outLength: number
  ): void
  close(): void
  onerror?: (message: string, errno: number, code: string) => void
}

/** node:zlib's zstd compression handle class (internal to node:zlib; see nativeZstdHandleClass). */
export type ZstdHandleClass = new () => NativeZstdHandle

/** A reusable zstd context: compresses one whole frame per call into `out`. */
export class ZstdContext {
  private readonly handle: NativeZstdHandle
  private readonly state = new Uint32Array(2)
  private pending: { resolve: () => void; reject: (error: Error) => void } | undefined
  /** False once it failed: zstd's state is then unknown, so it is never used again. */
  usable = true

  constructor(
    Handle: ZstdHandleClass,
    readonly level: number
  ) {
    const params = new Uint32Array(maxCompressionParam() + 1).fill(0xffffffff)
    params[constant('ZSTD_c_compressionLevel')] = level
    this.handle = new Handle()
    this.handle.onerror = (message, _errno, code) => this.settle(new Error(`zstd: ${message} (${code})`))
    this.handle.init(params, undefined, this.state, () => this.settle())
  }

  /** The frame of `input`, written to `out` from offset 0; resolves with its length. `out` must hold compressedBound(input.length). */
  compress(input: Buffer, out: Buffer): Promise<number> {
    if (!this.usable || this.pending !== undefined) return Promise.reject(new Error('zstd context is not free'))
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject }
      try {
        this.handle.write(constant('ZSTD_e_end'), input, 0, input.length, out, 0, out.length)
      } catch (error: unknown) {
        this.settle(asError(error))
      }
    }).then(() => {
      const [availOut, availIn] = this.state
      // Output full (or input left): the frame did not end in this call, which a bound-sized buffer rules out.
      if (availOut === 0 || availIn !== 0) {
        this.discard()
        throw new Error('zstd did not finish a frame within its compressed bound')
      }
      return out.length - availOut
    })
  }

  /** Frees zstd's memory; the context is not used again. */
  discard(): void {
    if (!this.usable) return
    this.usable = false
    if (this.pending === undefined) this.handle.close()
  }

  private settle(error?: Error): void {
    const pending = this.pending
    this.pending = undefined
    if (error !== undefined) {
      this.usable = false
      this.handle.close()
      pending?.reject(error)
    } else pending?.resolve()
  }
}

function constant(name: string): number {
  const value = zstd.constants[name]
  if (value === undefined) throw new Error(`node:zlib has no ${name}`)
  return value
}

function maxCompressionParam(): number {
  return Math.max(
    ...Object.entries(zstd.constants)
      .filter(([key]) => key.startsWith('ZSTD_c_'))
      .map(([, value]) => value ?? 0)
  )
}

/**
 * The class of node:zlib's zstd compression handle, when this Node's own zlib initialises it
 * exactly as ZstdContext does (`init(params, pledgedSrcSize, writeState, processCallback…)`);
 * otherwise undefined, and frames go through the public one-shot API instead.
 */
function nativeZstdHandleClass(): ZstdHandleClass | undefined {
  const create = zstd.createZstdCompress
  if (create === undefined) return undefined
  const stream = create()
  try {
    const handle = stream._handle as { constructor?: unknown; init?: unknown; write?: unknown } | undefined
    const zstdClass = Object.getPrototypeOf(Object.getPrototypeOf(stream) as object) as {
      constructor: { toString(): string }
    }
    const initialised = /handle\.init\(\s*initParamsArray,\s*pledgedSrcSize,\s*writeState,\s*processCallback\b/.test(
      zstdClass.constructor.toString()
    )
    if (
      !initialised ||
      typeof handle?.init !== 'function' ||
      typeof handle.write !== 'function' ||
      typeof handle.constructor !== 'function'
    )
      return undefined
    return handle.constructor as ZstdHandleClass
  } catch {
    return undefined
  } finally {
    stream.close()
  }
}

export type ZstdEngine =
  { kind: 'in-process'; contexts?: ZstdHandleClass; note?: string } | { kind: 'process'; reason: string }

let engine: Promise<ZstdEngine> | undefined

/**
 * Which zstd compresses: node:zlib's, when it exists and two frames of it, concatenated,
 * decompress with the zstd tool to the same bytes; otherwise the zstd program. In process,
 * reused contexts writing into our buffers when this Node's zlib is the one they were made
 * for and pass the same check, else node:zlib's one-shot API. Decided once per process, since
 * the API is marked experimental upstream.
 */
export function zstdEngine(): Promise<ZstdEngine> {
  engine ??= checkInProcessZstd()
  return engine
}

async function checkInProcessZstd(): Promise<ZstdEngine> {
  if (forcedZstdProcess()) return { kind: 'process', reason: `NIX_CACHIX_BUILD_ZSTD=${zstdKnob()}` }
  if (zstd.zstdCompress === undefined)
    return { kind: 'process', reason: `Node ${process.version} has no zstd in node:zlib` }
  const sample = Buffer.concat([Buffer.from('nix-archive-1'.repeat(5000)), randomBytes(70_000)])
  const halves = [sample.subarray(0, 40_000), sample.subarray(40_000)]
  let note: string
  try {
    const Handle = nativeZstdHandleClass()
    if (Handle === undefined) note = 'this Node initialises its zstd handle differently'
    else {
      const context = new ZstdContext(Handle, 2)
      const frames: Buffer[] = []
      for (const half of halves) {
        const out = Buffer.allocUnsafe(compressedBound(half.length))
        frames.push(out.subarray(0, await context.compress(half, out)))
      }
      context.discard()
      if ((await decompressWithTool(Buffer.concat(frames))).equals(sample))
        return { kind: 'in-process', contexts: Handle }
      note = 'reused contexts did not decompress to the same bytes with zstd -d'
    }
  } catch (error: unknown) {
    note = `reused contexts failed their check: ${errorMessage(error)}`
  }
  try {
    const frames = Buffer.concat([await compressFrame(halves[0], 2), await compressFrame(halves[1], 2)])
    const roundTrip = await decompressWithTool(frames)
    if (!roundTrip.equals(sample))
      return { kind: 'process', reason: 'node:zlib zstd output did not decompress to the same bytes with zstd -d' }
    return { kind: 'in-process', note }
  } catch (error: unknown) {
    return {
      kind: 'process',
      reason: `node:zlib zstd failed its check: ${errorMessage(error)}`
    }
  }
}

/** `zstd -d` of `data`: the tool every check of a compressor is judged by. */
export function decompressWithTool(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('zstd', ['-d', '-q', '-c'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }
    })
    const out: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stdin.on('error', () => undefined)
    child.on('error', reject)
    child.on('close', code => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`zstd -d exited ${code}`))))
    child.stdin.end(data)
  })
}
