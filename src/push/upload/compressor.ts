import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { lastLine } from '../../util/process.js'
import { writeFrame } from '../../util/stream.js'
import type { CompressionMethod } from '../../cachix/types.js'
import { BufferPool } from './buffer-pool.js'
import { ByteBudget } from './byte-budget.js'
import { asError } from '../../util/errors.js'
import { lanesProblem, openLaneCompressor } from './zstd-lanes.js'
import {
  compressedBound,
  compressFrame,
  ZstdContext,
  zstdEngine,
  type ZstdEngine,
  type ZstdHandleClass
} from './zstd-in-process.js'

/** Where compressed bytes go, in order; it may make the compressor wait, and copies what it keeps. */
export type CompressedOutput = (chunk: Buffer) => Promise<void>

/** A frame of NAR bytes and what frees it once the compressor is done with it. */
export interface Frame {
  bytes: Buffer
  /** Ends the frame's reservation in frameMemory. */
  release: () => void
  /** Hands the buffer back for reuse, once nothing reads it any more. */
  recycle: () => void
}

/**
 * A compressor fed whole frames of NAR (see `FrameSink`). It owns each frame from `consume` on
 * and releases it once the frame is compressed or written.
 */
export interface FrameCompressor {
  consume(frame: Frame): Promise<void>
  /** All frames were given: waits until every compressed byte went to the output. */
  end(): Promise<void>
  /** Stops, frees every reservation, and waits for the work in flight to settle. */
  abort(): Promise<void>
}

/**
 * NAR bytes per independent zstd frame (Nix 2.35 itself writes 16 MiB frames). Small enough that
 * the frames filling, compressing and compressed of a whole push weigh about 12 MiB; frames of 4
 * MiB compress 0.4% smaller and took the same CPU (measured).
 */
export const FRAME_BYTES = 2 * 1024 * 1024

const poolThreads = Math.min(4, Math.max(2, availableParallelism()))
// Frames compressing at once across all uploads: the libuv pool has four threads.
const compressionSlots = new ByteBudget(poolThreads)
/**
 * Frames filling, compressing or being hashed at once, across all uploads of this process: two
 * per thread compressing and two filling. A frame is free once both its compression and its
 * hash are done, and the hash runs on another thread at its own pace: with one frame per
 * thread, the compressors waited for frames (measured).
 */
const FRAMES_AT_ONCE = 2 * poolThreads + 2
/** NAR bytes held in those frames. */
export const frameMemory = new ByteBudget(FRAMES_AT_ONCE * FRAME_BYTES)
/** Frame buffers, all FRAME_BYTES long (a small NAR uses the start of one), reused: frameMemory bounds how many exist. */
export const framePool = new BufferPool(FRAME_BYTES, FRAMES_AT_ONCE)
/**
 * What frames compress into, reused: a compressed frame waits in one until its upload copies it
 * into a part. Their number is not capped (an upload waiting for part memory keeps its frames),
 * but one upload has at most one per compression slot, and a single NAR uses three.
 */
const outputPool = new BufferPool(compressedBound(FRAME_BYTES), 8)
/** zstd contexts by level, free for the next frame (at most one per compression slot exists). */
const idleContexts = new Map<number, ZstdContext[]>()

function compressorArgs(method: CompressionMethod, level: number): [string, string[]] {
  // -T0: as many threads as cores, so one large NAR still uses the whole machine.
  return method === 'zstd' ? ['zstd', ['-q', '-c', `-${level}`, '-T0']] : ['xz', ['-c', `-${level}`, '-T0']]
}

/** Which compressor `openCompressor` uses for `method` in this process. */
export async function compressorName(method: CompressionMethod): Promise<string> {
  if (method === 'xz') return 'xz process'
  const engine = await zstdEngine()
  if (engine.kind === 'process') {
    const problem = await lanesProblem(2)
    return problem === undefined
      ? `zstd program, long-lived, one input per upload at a time (${engine.reason})`
      : `zstd process per path (${engine.reason}; no long-lived program: ${problem})`
  }
  return engine.note === undefined
    ? 'node:zlib zstd, parallel frames'
    : `node:zlib zstd, parallel frames (one-shot API: ${engine.note})`
}

/**
 * zstd runs in process where Node has it: each frame compresses on the thread pool as an
 * independent zstd frame, several at once, emitted in order (concatenated frames are one valid
 * zstd stream). Otherwise a long-lived zstd program takes the upload (zstd-lanes.ts), or where
 * that cannot run, a zstd program per path; xz is always a program per path.
 */
export async function openCompressor(
  method: CompressionMethod,
  level: number,
  output: CompressedOutput,
  signal: AbortSignal
): Promise<FrameCompressor> {
  if (method === 'zstd') {
    const engine = await zstdEngine()
    if (engine.kind === 'in-process') return new ParallelZstdFrames(level, output, signal, engine)
    if ((await lanesProblem(level)) === undefined) return openLaneCompressor(level, output, signal)
  }
  return new CompressorProcess(method, level, output)
}

interface CompressedFrame {
  bytes: Buffer
  /** The pooled buffer `bytes` lie in, handed back once the output has copied them. */
  owner?: Buffer
}

interface PendingFrame {
  compressed: Promise<CompressedFrame>
}

/** One frame of `input` through a reused zstd context into a pooled buffer. */
async function compressWithContext(Handle: ZstdHandleClass, input: Buffer, level: number): Promise<CompressedFrame> {
  let idle = idleContexts.get(level)
  if (!idle) idleContexts.set(level, (idle = []))
  const context = idle.pop() ?? new ZstdContext(Handle, level)
  const owner = outputPool.take(compressedBound(FRAME_BYTES))
  try {
    return { bytes: owner.subarray(0, await context.compress(input, owner)), owner }
  } catch (error: unknown) {
    outputPool.give(owner)
    throw error
  } finally {
    if (context.usable) idle.push(context)
  }
}

class ParallelZstdFrames implements FrameCompressor {
  private readonly pending: PendingFrame[] = []
  private stopped = false

  constructor(
    private readonly level: number,
    private readonly output: CompressedOutput,
    private readonly signal: AbortSignal,
    private readonly engine: Extract<ZstdEngine, { kind: 'in-process' }>
  ) {}

  async consume(frame: Frame): Promise<void> {
    const contexts = this.engine.contexts
    const compressed = (async (): Promise<CompressedFrame> => {
      try {
        await compressionSlots.acquire(1, this.signal)
        try {
          if (contexts !== undefined) return await compressWithContext(contexts, frame.bytes, this.level)
          return { bytes: await compressFrame(frame.bytes, this.level) }
        } finally {
          compressionSlots.release(1)
        }
      } finally {
        frame.release()
        frame.recycle()
      }
    })()
    // Handled at once: a frame behind a failed one is never awaited.
    compressed.catch(() => undefined)
    this.pending.push({ compressed })
    while (this.pending.length >= poolThreads) await this.emitOldest()
  }

  async end(): Promise<void> {
    while (this.pending.length > 0) await this.emitOldest()
  }

  async abort(): Promise<void> {
    this.stopped = true
    const left = this.pending.splice(0)
    for (const settled of await Promise.allSettled(left.map(p => p.compressed))) {
      if (settled.status === 'fulfilled' && settled.value.owner) outputPool.give(settled.value.owner)
    }
  }

  private async emitOldest(): Promise<void> {
    const oldest = this.pending.shift()
    if (oldest === undefined) return
    const frame = await oldest.compressed
    try {
      // The output copies what it keeps, so the buffer is free again once it returns.
      if (!this.stopped) await this.output(frame.bytes)
    } finally {
      if (frame.owner) outputPool.give(frame.owner)
    }
  }
}

class CompressorProcess implements FrameCompressor {
  private readonly child
  private readonly exited: Promise<void>
  private readonly reading: Promise<void>
  private failure: Error | undefined

  constructor(method: CompressionMethod, level: number, output: CompressedOutput) {
    const [command, args] = compressorArgs(method, level)
    // The compressor needs nothing from the environment but PATH, and gets nothing else.
    this.child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }
    })
    const child = this.child
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    child.stdin.on('error', () => undefined)
    this.exited = new Promise<void>((resolve, reject) => {
      child.on('error', error =>
        reject(
          new Error(
            `could not start ${command} (install the ${method === 'zstd' ? 'zstd' : 'xz-utils'} package): ${error.message}`
          )
        )
      )
      child.on('close', code =>
        code === 0 ? resolve() : reject(new Error(`${command} failed: ${lastLine(stderr) || `exit code ${code}`}`))
      )
    })
    this.exited.catch((error: unknown) => (this.failure ??= asError(error)))
    this.reading = (async () => {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) await output(chunk)
    })()
    this.reading.catch((error: unknown) => {
      this.failure ??= asError(error)
      child.kill('SIGKILL')
    })
  }

  async consume(frame: Frame): Promise<void> {
    await writeFrame(this.child.stdin, frame, () => this.failure)
  }

  async end(): Promise<void> {
    this.child.stdin.end()
    await this.reading
    // A compressor that died early ends its output too: its exit status decides.
    await this.exited
  }

  async abort(): Promise<void> {
    this.child.kill('SIGKILL')
    await Promise.allSettled([this.reading, this.exited])
  }
}
