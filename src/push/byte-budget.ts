/**
 * A weighted semaphore over bytes held in memory. Every upload reserves the buffer it is
 * about to fill, so the sum of part buffers across all concurrent uploads stays bounded.
 */
export class ByteBudget {
  private available: number
  private readonly waiters: { bytes: number; resolve: () => void }[] = []

  constructor(readonly capacity: number) {
    this.available = capacity
  }

  async acquire(bytes: number): Promise<void> {
    const want = Math.min(bytes, this.capacity)
    if (this.waiters.length === 0 && this.available >= want) {
      this.available -= want
      return
    }
    await new Promise<void>(resolve => this.waiters.push({ bytes: want, resolve }))
  }

  /** Takes bytes without waiting (may overdraw), for a buffer that is already being filled. */
  take(bytes: number): void {
    this.available -= bytes
  }

  release(bytes: number): void {
    this.available += Math.min(bytes, this.capacity)
    while (this.waiters.length > 0 && this.available >= this.waiters[0].bytes) {
      const next = this.waiters.shift()
      if (!next) break
      this.available -= next.bytes
      next.resolve()
    }
  }
}
