import type { Hash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { readExactly, type NarSink } from '../nix/nar.js'
import { FRAME_BYTES, frameMemory, framePool, type FrameCompressor } from './compressor.js'

const MIN_FRAME = 4 * 1024

/**
 * Cuts a NAR into frames as it is written: small pieces are copied in, file contents are read
 * straight into the frame, and each full frame is hashed once and handed to the compressor.
 * Frames are sized to what is left of the NAR, so a small path holds a small buffer, and
 * their memory is reserved before they fill.
 */
export class FrameSink implements NarSink {
  private frame: Buffer | undefined
  private filled = 0
  private reserved = 0
  /** NAR bytes written so far. */
  narSize = 0

  constructor(
    private readonly compressor: FrameCompressor,
    private readonly narHasher: Hash,
    private readonly expectedBytes: number,
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

  async addFile(handle: FileHandle, size: number, path: string): Promise<void> {
    for (let position = 0; position < size;) {
      const frame = await this.room()
      const take = Math.min(frame.length - this.filled, size - position)
      await readExactly(handle, frame, this.filled, take, position, path)
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

  /** Frees the frame being filled (the compressor frees what it was given). */
  abort(): void {
    this.dropFrame()
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
    const left = this.expectedBytes - this.narSize
    const size = Math.min(FRAME_BYTES, Math.max(left > 0 ? MIN_FRAME : 16 * MIN_FRAME, left))
    this.reserved = await frameMemory.acquire(size, this.signal)
    this.frame = framePool.take(size)
    this.filled = 0
    return this.frame
  }

  private async flush(): Promise<void> {
    const frame = this.frame
    if (frame === undefined) return
    const full = frame.subarray(0, this.filled)
    const reserved = this.reserved
    this.frame = undefined
    this.filled = 0
    this.reserved = 0
    this.narHasher.update(full)
    let released = false
    let recycled = false
    const recycle = (): void => {
      if (recycled) return
      recycled = true
      framePool.give(frame)
    }
    const release = (): void => {
      if (released) return
      released = true
      frameMemory.release(reserved)
    }
    // Compressed in process, the frame is free once compressed; written to a program, once written.
    await this.compressor.consume({ bytes: full, release, recycle })
  }

  private dropFrame(): void {
    if (this.reserved > 0) frameMemory.release(this.reserved)
    if (this.frame !== undefined) framePool.give(this.frame)
    this.frame = undefined
    this.filled = 0
    this.reserved = 0
  }
}
