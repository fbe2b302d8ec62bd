import { readExactly, type FileReader, type NarSink } from '../../nix/format/nar.js'
import { asError } from '../../util/errors.js'
import { once } from '../../util/once.js'
import { FRAME_BYTES, frameMemory, framePool, type FrameCompressor } from './compressor.js'
import type { StreamHash } from './stream-hash.js'

/**
 * Cuts a NAR into frames as it is written: small pieces are copied in, file contents are read
 * straight into the frame, and each full frame goes to the NAR hash and to the compressor at
 * once. Frame buffers are pooled, and their memory is reserved before they fill; a frame is
 * free again once both the hash and the compressor are done with it.
 */
export class FrameSink implements NarSink {
  private frame: Buffer | undefined
  private filled = 0
  private reserved = 0
  /** NAR bytes written so far. */
  narSize = 0
  /** The first failure of the NAR hash, thrown by `narDigest`. */
  private hashFailure: Error | undefined

  constructor(
    private readonly compressor: FrameCompressor,
    private readonly narHash: StreamHash,
    private readonly signal: AbortSignal
  ) {}

  add(bytes: Buffer): Promise<void> | undefined {
    if (this.frame !== undefined && this.frame.length - this.filled >= bytes.length) {
      bytes.copy(this.frame, this.filled)
      this.filled += bytes.length
      this.narSize += bytes.length
      return undefined
    }
    return this.addAcrossFrames(bytes)
  }

  async addFile(read: FileReader, size: number, path: string): Promise<void> {
    for (let position = 0; position < size;) {
      const frame = this.frame !== undefined && this.filled < this.frame.length ? this.frame : await this.room()
      const take = Math.min(frame.length - this.filled, size - position)
      const reading = readExactly(read, frame, this.filled, take, position, path)
      if (reading) await reading
      this.filled += take
      this.narSize += take
      position += take
    }
  }

  /** The NAR is complete: the last frame goes to the compressor, which then finishes. */
  async end(): Promise<void> {
    if (this.frame !== undefined && this.filled > 0) await this.flush()
    this.dropFrame()
    await this.compressor.end()
  }

  /** The NAR's sha256, once every frame was hashed (after `end`). */
  async narDigest(): Promise<Buffer> {
    const digest = await this.narHash.digest()
    // The thread answers in order: every frame's update has settled by now.
    if (this.hashFailure !== undefined) throw this.hashFailure
    return digest
  }

  /** Frees the frame being filled (the compressor frees what it was given) and the NAR hash. */
  abort(): void {
    this.dropFrame()
    this.narHash.discard()
  }

  private async addAcrossFrames(bytes: Buffer): Promise<void> {
    for (let offset = 0; offset < bytes.length;) {
      const frame = await this.room()
      const take = Math.min(frame.length - this.filled, bytes.length - offset)
      bytes.copy(frame, this.filled, offset, offset + take)
      this.filled += take
      this.narSize += take
      offset += take
    }
  }

  /** A frame with free space: the current one, or a new one once the full one is handed on. */
  private async room(): Promise<Buffer> {
    if (this.frame !== undefined && this.filled < this.frame.length) return this.frame
    if (this.frame !== undefined) await this.flush()
    // Every frame buffer is a whole pooled one, also for a NAR of a few bytes: buffers of one
    // size are reused rather than left to the garbage collector.
    this.reserved = await frameMemory.acquire(FRAME_BYTES, this.signal)
    this.frame = framePool.take(FRAME_BYTES)
    this.filled = 0
    return this.frame
  }

  private async flush(): Promise<void> {
    const { frame, filled, reserved } = this.takeFrame()
    if (frame === undefined) return
    const full = frame.subarray(0, filled)
    // Two readers, the NAR hash and the compressor: the frame's memory is released, and its
    // buffer handed back, once both are done with it.
    const release = afterBoth(() => frameMemory.release(reserved))
    const recycle = afterBoth(() => framePool.give(frame))
    const hashed = (): void => {
      release()
      recycle()
    }
    this.narHash.update(full).then(hashed, (error: unknown) => {
      this.hashFailure ??= asError(error)
      hashed()
    })
    // Compressed in process, the frame is free once compressed; written to a program, once written.
    await this.compressor.consume({ bytes: full, release: once(release), recycle: once(recycle) })
  }

  private dropFrame(): void {
    const { frame, reserved } = this.takeFrame()
    if (reserved > 0) frameMemory.release(reserved)
    if (frame !== undefined) framePool.give(frame)
  }

  /** The frame being filled, how much of it is, and its memory: the sink holds none of them after. */
  private takeFrame(): { frame?: Buffer; filled: number; reserved: number } {
    const taken = { frame: this.frame, filled: this.filled, reserved: this.reserved }
    this.frame = undefined
    this.filled = 0
    this.reserved = 0
    return taken
  }
}

/** Runs `step` on the second call. */
function afterBoth(step: () => void): () => void {
  let calls = 0
  return () => {
    if (++calls === 2) step()
  }
}
