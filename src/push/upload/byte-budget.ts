/**
 * A weighted semaphore over bytes held in memory. Every part buffer is reserved before it
 * fills, so the sum of part buffers across all concurrent uploads stays bounded.
 */
export class ByteBudget {
  private available: number
  private readonly waiters: { bytes: number; resolve: () => void }[] = []

  constructor(readonly capacity: number) {
    this.available = capacity
  }

  /** Waits until `bytes` (at most the capacity) are free, or rejects when `signal` aborts. */
  async acquire(bytes: number, signal?: AbortSignal): Promise<number> {
    const want = Math.min(bytes, this.capacity)
    signal?.throwIfAborted()
    if (this.waiters.length === 0 && this.available >= want) {
      this.available -= want
      return want
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        bytes: want,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
      }
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter)
        if (index >= 0) this.waiters.splice(index, 1)
        // A waiter behind this one may fit now.
        this.grant()
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(waiter)
    })
    return want
  }

  /** Takes bytes without waiting (may overdraw), for a buffer that is already being filled. */
  take(bytes: number): void {
    this.available -= bytes
  }

  release(bytes: number): void {
    this.available += bytes
    this.grant()
  }

  /** Bytes free right now (negative while overdrawn). */
  get free(): number {
    return this.available
  }

  private grant(): void {
    while (this.waiters.length > 0 && this.available >= this.waiters[0].bytes) {
      const next = this.waiters.shift()
      if (!next) break
      this.available -= next.bytes
      next.resolve()
    }
  }
}
