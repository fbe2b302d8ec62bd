import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs'
import { Socket } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { sleep } from '../../util/async.js'
import { asError } from '../../util/errors.js'
import { forcedZstdPerPath } from '../../util/knobs.js'
import { lastLine } from '../../util/process.js'
import { writeFrame } from '../../util/stream.js'
import { ByteBudget } from './byte-budget.js'
import type { CompressedOutput, Frame, FrameCompressor } from './compressor.js'
import { ZstdFrameEnds } from './zstd-frames.js'
import { decompressWithTool } from './zstd-in-process.js'

/**
 * Long-lived zstd programs, for a Node without zstd in node:zlib. Starting one zstd per store
 * path costs a fork of this whole process on the main thread and zstd's own start-up, about as
 * much CPU in all as compressing a small path. So a lane is one zstd that reads its inputs in
 * turn from named pipes given on its command line and writes one frame per input to its
 * stdout; ZstdFrameEnds says where each input's frame ends. A lane serves one upload at a time,
 * and there are as many lanes as cores: an upload waits for a lane before it reads its NAR, so
 * it holds no memory while it waits.
 */

/** Inputs one program reads before it exits and the lane is replaced. */
const INPUTS_PER_PROGRAM = 64
/** Lanes at once: each compresses with zstd's own threads too, so more would only share the same cores. */
const LANES = Math.max(2, availableParallelism())
const laneSlots = new ByteBudget(LANES)
/** A lane nobody used for this long is ended, so idle programs do not hold memory through a build. */
const IDLE_MS = 15_000
/** How long zstd may take to open its next input once the previous frame is out. */
const OPEN_TIMEOUT_MS = 10_000

// $1 is the level, the rest are the pipes. The shell makes the pipes, leaves a watchdog that
// ends zstd once this process's end of its stdin closes (when this process exits, however it
// ends; zstd waiting for its next input would otherwise wait forever), and becomes zstd. stdbuf
// keeps zstd's output unbuffered: a frame then reaches us whole as soon as its input ends, not
// once the next input has filled zstd's buffer.
const SCRIPT = [
  'level=$1; shift',
  'mkfifo -m 600 "$@" || exit 111',
  'exec 3<&0',
  '(cat <&3 >/dev/null 2>&1; kill $$ 2>/dev/null) >/dev/null 2>&1 &',
  'exec stdbuf -o0 zstd -q -c "-$level" -T0 "$@" 3<&- </dev/null'
].join('\n')

interface Input {
  output: CompressedOutput
  /** Set once the output failed or the upload gave up: the rest of its frame is read and dropped. */
  dropping: boolean
  failure?: Error
  ended: () => void
  failed: (error: Error) => void
}

class ZstdLane {
  private readonly dir = mkdtempSync(join(tmpdir(), 'nix-cachix-build-zstd-'))
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>
  private readonly frames = new ZstdFrameEnds()
  private next = 0
  private current: Input | undefined
  private stderr = ''
  private exit: string | undefined
  /** Resolves once the program has exited (and was reaped, so its CPU counts as this process's children's). */
  readonly exited: Promise<void>
  private idleTimer: NodeJS.Timeout | undefined
  /** Why the lane cannot take another input, once it cannot. */
  dead: Error | undefined

  constructor(readonly level: number) {
    const pipes = Array.from({ length: INPUTS_PER_PROGRAM }, (_, i) => join(this.dir, String(i)))
    // zstd needs nothing from the environment but PATH, and gets nothing else.
    this.child = spawn('sh', ['-c', SCRIPT, 'sh', String(level), ...pipes], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }
    })
    lanes.add(this)
    const child = this.child
    child.stdin.on('error', () => undefined)
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4096)
    })
    // What it wrote before it ended may still be on its way: the end of its output decides (route).
    this.exited = new Promise(resolve => {
      child.on('exit', (code, signal) => {
        this.exit = lastLine(this.stderr) || `exit code ${code ?? signal}`
        resolve()
      })
      child.on('error', error => {
        this.die(new Error(`could not start the zstd program (${error.message})`))
        resolve()
      })
    })
    void this.route()
    this.idle(true)
  }

  /** True while it can take another input. */
  get usable(): boolean {
    return this.dead === undefined && this.exit === undefined && this.next < INPUTS_PER_PROGRAM
  }

  /** Starts the next input: returns the compressor that feeds it. */
  async begin(output: CompressedOutput): Promise<FrameCompressor> {
    this.idle(false)
    const pipe = join(this.dir, String(this.next++))
    let ended!: () => void
    let failed!: (error: Error) => void
    const finished = new Promise<void>((resolve, reject) => {
      ended = resolve
      failed = reject
    })
    finished.catch(() => undefined)
    const input: Input = { output, dropping: false, ended, failed }
    this.current = input
    let socket: Socket
    try {
      socket = new Socket({ fd: await this.openPipe(pipe), readable: false, writable: true })
    } catch (error: unknown) {
      this.current = undefined
      this.die(asError(error))
      throw error
    }
    return new LaneInput(this, input, socket, finished)
  }

  /** The input's frame is out (or dropped): the lane takes the next upload. */
  release(): void {
    if (this.usable) {
      idleLanes.push(this)
      this.idle(true)
    } else this.retire()
  }

  /** Ends the program (its watchdog also stops zstd once stdin closes) and removes its pipes. */
  retire(): void {
    clearTimeout(this.idleTimer)
    const at = idleLanes.indexOf(this)
    if (at >= 0) idleLanes.splice(at, 1)
    this.child.stdin.end()
    this.child.kill()
    // Waited for, briefly: reaped here, the program's CPU counts as this process's children's.
    if (this.exit === undefined) this.child.ref()
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** Opens the write end once zstd has opened the read end; zstd opens its inputs in order. */
  private async openPipe(pipe: string): Promise<number> {
    const deadline = Date.now() + OPEN_TIMEOUT_MS
    for (;;) {
      if (this.dead !== undefined) throw this.dead
      if (this.exit !== undefined) throw new Error(`the zstd program ended (${this.exit})`)
      try {
        return openSync(pipe, constants.O_WRONLY | constants.O_NONBLOCK)
      } catch (error: unknown) {
        const code = (error as NodeJS.ErrnoException).code
        // ENOENT: the pipes are not made yet; ENXIO: zstd has not opened this one yet.
        if ((code !== 'ENOENT' && code !== 'ENXIO') || Date.now() > deadline)
          throw new Error(`the zstd program did not open its next input: ${asError(error).message}`, { cause: error })
      }
      await sleep(1)
    }
  }

  /** Hands each input's frame to its upload, and says when the frame ended. */
  private async route(): Promise<void> {
    try {
      for await (const chunk of this.child.stdout as AsyncIterable<Buffer>) {
        for (let at = 0; at < chunk.length;) {
          const input = this.current
          if (input === undefined) throw new Error('the zstd program wrote output no input asked for')
          const end = this.frames.end(chunk.subarray(at))
          const piece = chunk.subarray(at, end < 0 ? chunk.length : at + end)
          if (!input.dropping && piece.length > 0) {
            try {
              await input.output(piece)
            } catch (error: unknown) {
              input.failure ??= asError(error)
              input.dropping = true
            }
          }
          if (end < 0) break
          at += end
          this.current = undefined
          if (input.failure !== undefined) input.failed(input.failure)
          else input.ended()
        }
      }
      // Its output closed: the program ended too, and what it said last says why (stdbuf missing, say).
      await Promise.race([
        Promise.all([this.exited, new Promise(resolve => this.child.stderr.once('close', resolve))]),
        new Promise(resolve => setTimeout(resolve, 2000).unref())
      ])
      this.die(new Error(`the zstd program ended (${lastLine(this.stderr) || this.exit || 'its output closed'})`))
    } catch (error: unknown) {
      this.die(asError(error))
    }
  }

  private die(error: Error): void {
    this.dead ??= error
    const input = this.current
    this.current = undefined
    if (input !== undefined) {
      input.failure ??= this.dead
      input.failed(input.failure)
    }
    this.retire()
    lanes.delete(this)
  }

  /** An idle lane keeps nothing alive and ends after IDLE_MS; a busy one is waited for. */
  private idle(idle: boolean): void {
    clearTimeout(this.idleTimer)
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as {
      ref(): void
      unref(): void
    }[])
      if (idle) handle.unref()
      else handle.ref()
    if (idle) {
      this.idleTimer = setTimeout(() => this.retire(), IDLE_MS)
      this.idleTimer.unref()
    }
  }
}

/** One upload's input to a lane: frames are written into its pipe, and the frame comes back on the lane's stdout. */
class LaneInput implements FrameCompressor {
  private closed = false
  private released = false

  constructor(
    private readonly lane: ZstdLane,
    private readonly input: Input,
    private readonly socket: Socket,
    private readonly finished: Promise<void>
  ) {
    socket.on('error', (error: Error) => {
      input.failure ??= new Error(`writing to the zstd program failed: ${error.message}`)
    })
  }

  async consume(frame: Frame): Promise<void> {
    await writeFrame(this.socket, frame, () => this.input.failure)
  }

  async end(): Promise<void> {
    this.close(false)
    try {
      await this.finished
    } finally {
      this.giveBack()
    }
  }

  async abort(): Promise<void> {
    this.input.dropping = true
    this.close(true)
    await this.finished.catch(() => undefined)
    this.giveBack()
  }

  /** The end of input: zstd ends the frame once the pipe's write end is closed. */
  private close(now: boolean): void {
    if (this.closed) return
    this.closed = true
    if (now) this.socket.destroy()
    else this.socket.end()
  }

  private giveBack(): void {
    if (this.released) return
    this.released = true
    this.lane.release()
    laneSlots.release(1)
  }
}

/** Every lane of this process, ended when it exits; and those free for the next upload. */
const lanes = new Set<ZstdLane>()
const idleLanes: ZstdLane[] = []
process.once('exit', () => {
  for (const lane of lanes) lane.retire()
})

/** Ends the lanes no upload is using, and waits until their programs have exited. */
export async function retireIdleLanes(): Promise<void> {
  const idle = idleLanes.splice(0)
  for (const lane of idle) lane.retire()
  await Promise.all(idle.map(lane => lane.exited))
}

/** Compresses one upload's NAR in a free lane, or a new one, once fewer than LANES are busy. */
export async function openLaneCompressor(
  level: number,
  output: CompressedOutput,
  signal?: AbortSignal
): Promise<FrameCompressor> {
  await laneSlots.acquire(1, signal)
  try {
    for (;;) {
      const at = idleLanes.findIndex(lane => lane.level === level && lane.usable)
      const lane = at >= 0 ? idleLanes.splice(at, 1)[0] : new ZstdLane(level)
      try {
        return await lane.begin(output)
      } catch (error: unknown) {
        // A lane that died while idle is replaced; a new one that cannot start is the answer.
        if (at < 0) throw error
      }
    }
  } catch (error: unknown) {
    laneSlots.release(1)
    throw error
  }
}

const CHECK_TIMEOUT_MS = 10_000
let lanesChecked: Promise<string | undefined> | undefined

/**
 * Whether lanes work here: a lane compresses two inputs, each frame must arrive whole once its
 * input ends (stdbuf took effect), and `zstd -d` must give back both inputs. Undefined when
 * they work, else why not (the caller then starts one zstd per path). Decided once per process.
 */
export function lanesProblem(level: number): Promise<string | undefined> {
  lanesChecked ??= forcedZstdPerPath() ? Promise.resolve('NIX_CACHIX_BUILD_ZSTD=process-per-path') : checkLanes(level)
  return lanesChecked
}

async function checkLanes(level: number): Promise<string | undefined> {
  const samples = [Buffer.from('nix-archive-1'.repeat(5000)), Buffer.from('(type regular contents)'.repeat(3000))]
  const out: Buffer[] = []
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`a frame did not arrive within ${CHECK_TIMEOUT_MS / 1000} s`)),
      CHECK_TIMEOUT_MS
    )
  })
  try {
    for (const sample of samples) {
      const compressor = await Promise.race([
        openLaneCompressor(level, chunk => {
          out.push(Buffer.from(chunk))
          return Promise.resolve()
        }),
        timeout
      ])
      const bytes = Buffer.from(sample)
      await compressor.consume({ bytes, release: () => undefined, recycle: () => undefined })
      // Waiting for the frame before the next input starts: that is what stdbuf must make true.
      await Promise.race([compressor.end(), timeout])
    }
    const back = await decompressWithTool(Buffer.concat(out))
    return back.equals(Buffer.concat(samples)) ? undefined : 'its frames did not decompress to the inputs with zstd -d'
  } catch (error: unknown) {
    for (const lane of lanes) lane.retire()
    return asError(error).message
  } finally {
    clearTimeout(timer)
  }
}
