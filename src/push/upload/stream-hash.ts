import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { hashOnMainThread } from '../../util/knobs.js'
import { HashThread } from './hash-thread.js'

/**
 * The sha256 of one stream of an upload (its NAR, or its compressed file), fed in order. Each
 * update resolves once its bytes were read, so their buffer can be reused; the MD5 of a part
 * comes with the update that hashes the part into the file.
 */
export interface StreamHash {
  update(bytes: Uint8Array): Promise<void>
  /** Hashes `bytes` next and gives their base64 MD5 (a part's Content-MD5). */
  updateWithMd5(bytes: Uint8Array): Promise<string>
  digest(): Promise<Buffer>
  /** Frees the state of a stream that will not be digested. */
  discard(): void
}

/** Hashes in this thread: where no hash thread can run, or NIX_CACHIX_BUILD_HASH=main says so. */
class MainThreadHash implements StreamHash {
  private readonly hash = createHash('sha256')

  update(bytes: Uint8Array): Promise<void> {
    this.hash.update(bytes)
    return Promise.resolve()
  }

  updateWithMd5(bytes: Uint8Array): Promise<string> {
    this.hash.update(bytes)
    return Promise.resolve(createHash('md5').update(bytes).digest('base64'))
  }

  digest(): Promise<Buffer> {
    return Promise.resolve(this.hash.digest())
  }

  discard(): void {}
}

class ThreadHash implements StreamHash {
  private readonly stream: number

  constructor(private readonly thread: HashThread) {
    this.stream = thread.openStream()
  }

  async update(bytes: Uint8Array): Promise<void> {
    await this.thread.update(this.stream, bytes, false)
  }

  async updateWithMd5(bytes: Uint8Array): Promise<string> {
    return (await this.thread.update(this.stream, bytes, true)).md5 as string
  }

  digest(): Promise<Buffer> {
    return this.thread.digest(this.stream)
  }

  discard(): void {
    this.thread.drop(this.stream)
  }
}

// Per GiB of NAR, the hashes (sha256 of the NAR and of the file, MD5 of the parts) take 1.3-1.9 s
// of one thread, zstd 3.5-4 s spread over all cores and the main thread 1-1.5 s: on two cores
// one hash thread keeps up, on four it would be the slowest step alone. One per two cores, at
// most four (a thread holds about 16 MiB).
const THREADS = Math.min(4, Math.max(1, Math.floor(availableParallelism() / 2)))
const threads: HashThread[] = []
let turn = 0

let unavailable = false
/** NAR bytes queued for upload in this process so far. */
let queuedBytes = 0
/**
 * A thread costs about 45 ms of CPU to start, what hashing 35 MiB costs: a push smaller than
 * this hashes on the main thread and starts none.
 */
const THREAD_WORTH_BYTES = 64 * 1024 * 1024

/**
 * Counts NAR bytes about to be uploaded; once they are worth it, starts the hash threads, so
 * the uploads that follow hash off the main thread and none waits for a thread to boot.
 */
export function expectHashing(narBytes: number): void {
  queuedBytes += narBytes
  if (unavailable || hashOnMainThread() || queuedBytes < THREAD_WORTH_BYTES) return
  // The thread's program reaches node's modules this way (Node 20.16 and later).
  if (typeof process.getBuiltinModule !== 'function') {
    unavailable = true
    return
  }
  try {
    for (let i = 0; i < THREADS; i++) threads[i] ??= new HashThread()
  } catch {
    unavailable = true
  }
}

/** The hash threads of this process that still run. */
export function runningHashThreads(): HashThread[] {
  return threads.filter(thread => thread.broken === undefined)
}

/**
 * A new stream hash: off the main thread once expectHashing started the hash threads, which
 * take new streams in turn. Once a thread died (failing the uploads it was hashing, which are
 * then retried), every hash of this process runs on the main thread.
 */
export function openStreamHash(): StreamHash {
  const running = runningHashThreads()
  if (running.length < threads.length) unavailable = true
  if (unavailable || running.length === 0) return new MainThreadHash()
  return new ThreadHash(running[turn++ % running.length])
}
