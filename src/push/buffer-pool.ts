/**
 * Reuses buffers of one size. Streams of large, short-lived buffers are what make a push's
 * memory peak: each freed one lingers until V8 collects it, so a NAR of 2 GiB would otherwise
 * leave hundreds of MiB of garbage behind it between collections.
 */
export class BufferPool {
  private readonly free: Buffer[] = []

  constructor(
    readonly size: number,
    private readonly keep: number
  ) {}

  /** A buffer of `bytes`; pooled when it is the pool's size. Its contents are arbitrary. */
  take(bytes: number): Buffer {
    if (bytes === this.size) return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size)
    return Buffer.allocUnsafe(bytes)
  }

  /** Hands a buffer back once nothing reads it any more. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && buffer.byteOffset === 0 && this.free.length < this.keep) this.free.push(buffer)
  }
}
