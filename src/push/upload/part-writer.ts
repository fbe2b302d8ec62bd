import type { CachixClient } from '../../cachix/client.js'
import type { CompletedPart } from '../../cachix/types.js'
import { sharedBuffer, SizeClassPool } from './buffer-pool.js'
import type { ByteBudget } from './byte-budget.js'
import { asError } from '../../util/errors.js'
import { openStreamHash } from './stream-hash.js'

export interface PartWriterOptions {
  client: CachixClient
  narId: string
  uploadId: string
  /** Every part but the last is exactly this many bytes, as the multipart protocol requires. */
  partSize: number
  /** Parts of this upload being presigned or PUT at once. */
  partConcurrency: number
  /** Shared by all uploads: a part's bytes are reserved before it fills and freed once it is sent. */
  budget: ByteBudget
  /** What the compressed stream is expected to weigh at most, to reserve no more than a small path needs. */
  expectedBytes: number
  signal: AbortSignal
}

export interface WrittenFile {
  /** sha256 of the compressed bytes, lowercase hex (cFileHash). */
  fileHash: string
  fileSize: number
  /** In part order; null when the storage left out an ETag (the protocol then sends no list). */
  parts: CompletedPart[] | null
  partCount: number
}

const MIN_RESERVATION = 64 * 1024
/** Parts of 8 MiB: small enough that a few in flight stay within the memory goal, far above Cachix's 5 MiB minimum. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024
// Part buffers by size class up to a full part of the default size, reused; the byte budget
// bounds how many exist at once.
const partPool = new SizeClassPool(MIN_RESERVATION, DEFAULT_PART_SIZE, 4 * DEFAULT_PART_SIZE + 2 * 1024 * 1024)

/** A part buffer of exactly `bytes`: pooled when that is a class of the pool (a part of another size is not). */
function partBuffer(bytes: number): Buffer {
  return partPool.classOf(bytes) === bytes ? partPool.take(bytes) : sharedBuffer(bytes)
}

/**
 * The compressed stream of one upload, cut into parts: owns the memory budget, the part's
 * pieces and MD5, the presign and PUT of each part, and their cancellation. A failed part
 * stops the writer; the next write or finish throws that failure.
 */
export class PartWriter {
  private buffer: Buffer | undefined
  private filled = 0
  private reserved = 0
  /** sha256 of the file, fed part by part (with each part's MD5) off the main thread. */
  private readonly fileHash = openStreamHash()
  private fileSize = 0
  private partNumber = 0
  private readonly sent: { partNumber: number; eTag?: string }[] = []
  private readonly inFlight = new Set<Promise<void>>()
  private failure: Error | undefined
  private readonly stopper = new AbortController()

  constructor(private readonly options: PartWriterOptions) {
    const outer = options.signal
    if (outer.aborted) this.stopper.abort(outer.reason)
    else
      outer.addEventListener('abort', () => this.stopper.abort(outer.reason), {
        once: true,
        signal: this.stopper.signal
      })
  }

  /** Aborts with the first failure of this upload, or with the caller's signal. */
  get signal(): AbortSignal {
    return this.stopper.signal
  }

  /** Copies `chunk` into the part buffers (the caller may reuse it once this returns). */
  async write(chunk: Buffer): Promise<void> {
    this.throwIfStopped()
    this.fileSize += chunk.length
    const { partSize } = this.options
    for (let offset = 0; offset < chunk.length;) {
      const buffer = this.buffer ?? (await this.reserve())
      const room = buffer.length === this.filled ? this.widen() : buffer
      const take = Math.min(room.length - this.filled, chunk.length - offset)
      chunk.copy(room, this.filled, offset, offset + take)
      this.filled += take
      offset += take
      if (this.filled === partSize) await this.flush()
    }
  }

  /** Sends the last part, waits for every part, and returns what the completion needs. */
  async finish(): Promise<WrittenFile> {
    this.throwIfStopped()
    if (this.filled > 0 || this.partNumber === 0) await this.flush()
    await Promise.all(this.inFlight)
    this.throwIfStopped()
    const ordered = [...this.sent].sort((a, b) => a.partNumber - b.partNumber)
    const parts = ordered.some(p => p.eTag === undefined)
      ? null
      : ordered.map(p => ({ partNumber: p.partNumber, eTag: p.eTag ?? '' }))
    return {
      fileHash: (await this.fileHash.digest()).toString('hex'),
      fileSize: this.fileSize,
      parts,
      partCount: ordered.length
    }
  }

  /** Stops every part in flight and frees the memory this upload holds. */
  async abort(reason: unknown = new Error('upload stopped')): Promise<void> {
    this.stopper.abort(reason)
    this.dropBuffer()
    await Promise.all(this.inFlight)
    this.fileHash.discard()
  }

  /** Reserves and allocates the next part's buffer before it fills, so a started part can always finish. */
  private async reserve(): Promise<Buffer> {
    this.reserved = await this.options.budget.acquire(this.nextPartBytes(), this.stopper.signal)
    return this.allocate()
  }

  /** What the next part's buffer should hold: a size class of the pool below half a part (less than twice the estimate), else a whole part. */
  private nextPartBytes(): number {
    const { partSize, expectedBytes } = this.options
    const estimate = Math.min(partSize, Math.max(MIN_RESERVATION, expectedBytes - this.fileSize + MIN_RESERVATION))
    return estimate * 2 > partSize ? partSize : partPool.classOf(estimate)
  }

  private allocate(): Buffer {
    this.buffer = partBuffer(this.reserved)
    this.filled = 0
    return this.buffer
  }

  /**
   * The compressed stream outgrew the estimate: a wider buffer, up to the part size. Its bytes
   * are taken from the budget without waiting, so two uploads that both outgrow never block
   * each other.
   */
  private widen(): Buffer {
    const old = this.buffer as Buffer
    const wider = partBuffer(Math.min(this.options.partSize, old.length * 2))
    old.copy(wider, 0, 0, this.filled)
    this.options.budget.take(wider.length - this.reserved)
    this.reserved = wider.length
    this.buffer = wider
    partPool.give(old)
    return wider
  }

  private async flush(): Promise<void> {
    const partNumber = ++this.partNumber
    const buffer = this.buffer ?? Buffer.alloc(0)
    const body = buffer.subarray(0, this.filled)
    // Hashed while the next part fills: the part goes out once its MD5 is known.
    const md5 = this.fileHash.updateWithMd5(body)
    md5.catch(() => undefined)
    const held = this.reserved
    this.buffer = undefined
    this.filled = 0
    this.reserved = 0
    let sent = false
    const release = (): void => {
      this.options.budget.release(held)
      // Reused only after a PUT that finished: a failed one may still be writing it.
      if (sent) partPool.give(buffer)
    }
    try {
      while (this.inFlight.size >= this.options.partConcurrency) await Promise.race(this.inFlight)
      this.throwIfStopped()
    } catch (error: unknown) {
      release()
      throw error
    }
    const task = this.send(partNumber, body, md5)
      .then(() => {
        sent = true
      })
      .catch((error: unknown) => {
        this.failure ??= asError(error)
        this.stopper.abort(error)
      })
      .finally(() => {
        release()
        this.inFlight.delete(task)
      })
    this.inFlight.add(task)
  }

  private async send(partNumber: number, body: Buffer, hashing: Promise<string>): Promise<void> {
    const { client, narId, uploadId } = this.options
    const signal = this.stopper.signal
    const md5 = await hashing
    signal.throwIfAborted()
    const url = await client.presignPart(narId, uploadId, partNumber, md5, signal)
    const eTag = await client.putPart(url, body, md5, signal)
    this.sent.push({ partNumber, eTag })
  }

  private dropBuffer(): void {
    if (this.reserved > 0) this.options.budget.release(this.reserved)
    if (this.buffer !== undefined) partPool.give(this.buffer)
    this.reserved = 0
    this.buffer = undefined
    this.filled = 0
  }

  private throwIfStopped(): void {
    if (this.failure !== undefined) throw this.failure
    if (this.stopper.signal.aborted)
      throw this.stopper.signal.reason instanceof Error ? this.stopper.signal.reason : new Error('upload stopped')
  }
}
