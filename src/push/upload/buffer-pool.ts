/**
 * A buffer in memory shared with the hash threads, so they read it where it lies instead of
 * receiving a copy. Its contents are arbitrary.
 */
export function sharedBuffer(bytes: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(bytes))
}

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

  /** A shared buffer of `bytes`; pooled when it is the pool's size. Its contents are arbitrary. */
  take(bytes: number): Buffer {
    if (bytes === this.size) return this.free.pop() ?? sharedBuffer(this.size)
    return sharedBuffer(bytes)
  }

  /** Hands a buffer back once nothing reads it any more. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && buffer.byteOffset === 0 && this.free.length < this.keep) this.free.push(buffer)
  }
}

/**
 * Reuses buffers in size classes: powers of two from `minClass` to `maxClass`. Every size of a
 * push's parts then comes from a few classes, so paths of any size leave little garbage. At
 * most `keepBytes` are kept in all, whatever the classes.
 */
export class SizeClassPool {
  private readonly free = new Map<number, Buffer[]>()
  private kept = 0

  constructor(
    private readonly minClass: number,
    private readonly maxClass: number,
    private readonly keepBytes: number
  ) {}

  /** The class that holds `bytes`: the smallest power of two from minClass on; above maxClass, `bytes` itself (never pooled). */
  classOf(bytes: number): number {
    if (bytes > this.maxClass) return bytes
    let size = this.minClass
    while (size < bytes) size *= 2
    return Math.min(size, this.maxClass)
  }

  /** A buffer of classOf(bytes), pooled or new; its contents are arbitrary. */
  take(bytes: number): Buffer {
    const size = this.classOf(bytes)
    const reused = bytes > this.maxClass ? undefined : this.free.get(size)?.pop()
    if (reused === undefined) return sharedBuffer(size)
    this.kept -= size
    return reused
  }

  /** Hands a buffer from `take` back once nothing reads it any more; views and other sizes are left to the collector. */
  give(buffer: Buffer): void {
    if (buffer.byteOffset !== 0 || buffer.buffer.byteLength !== buffer.length) return
    if (buffer.length > this.maxClass || this.classOf(buffer.length) !== buffer.length) return
    if (this.kept + buffer.length > this.keepBytes) return
    let list = this.free.get(buffer.length)
    if (!list) this.free.set(buffer.length, (list = []))
    list.push(buffer)
    this.kept += buffer.length
  }
}
