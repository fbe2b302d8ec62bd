import { Worker } from 'node:worker_threads'

/**
 * One hash thread: it keeps the sha256 state of many streams at once (the NAR and the file of
 * every upload in flight) and hashes what the main thread hands it, in the order it was
 * handed. Bytes in shared memory cross without a copy; any other bytes are copied.
 */
type HashRequest =
  | { op: 'update'; stream: number; seq: number; bytes: Uint8Array; md5: boolean }
  | { op: 'digest'; stream: number; seq: number }
  | { op: 'drop'; stream: number }

interface HashReply {
  seq: number
  /** base64 MD5 of the bytes of an update that asked for it (a part's Content-MD5). */
  md5?: string
  digest?: Uint8Array
  error?: string
}

/**
 * The hash thread's program. It is handed to the thread as source text (`${hashThreadMain}`),
 * so it runs the same from the bundles in dist/, from the tests' TypeScript and from the
 * bench's compiled children: it reaches node's modules through process.getBuiltinModule and
 * refers to nothing outside itself.
 */
function hashThreadMain(): void {
  const { createHash } = process.getBuiltinModule('node:crypto')
  const { parentPort } = process.getBuiltinModule('node:worker_threads')
  const streams = new Map<number, ReturnType<typeof createHash>>()
  const port = parentPort as NonNullable<typeof parentPort>
  port.on('message', (request: HashRequest) => {
    if (request.op === 'drop') {
      streams.delete(request.stream)
      return
    }
    try {
      let hash = streams.get(request.stream)
      if (hash === undefined) streams.set(request.stream, (hash = createHash('sha256')))
      if (request.op === 'digest') {
        streams.delete(request.stream)
        port.postMessage({ seq: request.seq, digest: hash.digest() } satisfies HashReply)
        return
      }
      hash.update(request.bytes)
      const md5 = request.md5 ? createHash('md5').update(request.bytes).digest('base64') : undefined
      port.postMessage({ seq: request.seq, md5 } satisfies HashReply)
    } catch (error: unknown) {
      streams.delete(request.stream)
      port.postMessage({ seq: request.seq, error: String(error) } satisfies HashReply)
    }
  })
}

interface Waiting {
  resolve: (reply: HashReply) => void
  reject: (error: Error) => void
}

/**
 * The main thread's side of one hash thread. The thread does not keep the process alive while
 * nothing waits for it; a thread that dies fails what was waiting, and `broken` tells the
 * caller to hash on the main thread from then on.
 */
export class HashThread {
  private readonly worker: Worker
  private readonly waiting = new Map<number, Waiting>()
  private nextSeq = 0
  private nextStream = 0
  /** Why the thread cannot be used any more, once it cannot. */
  broken: Error | undefined

  constructor() {
    this.worker = new Worker(`(${hashThreadMain.toString()})()`, { eval: true, name: 'hash' })
    this.worker.on('message', (reply: HashReply) => this.settle(reply))
    this.worker.on('error', error => this.fail(error))
    this.worker.on('exit', code => this.fail(new Error(`the hash thread exited with code ${code}`)))
    // After the listeners: adding a 'message' listener refs the thread again.
    this.worker.unref()
  }

  /** A new stream's number: its state exists in the thread from its first update on. */
  openStream(): number {
    return this.nextStream++
  }

  /** Hashes `bytes` next in `stream`; resolves once the thread has read them (with their MD5 when asked). */
  update(stream: number, bytes: Uint8Array, md5: boolean): Promise<HashReply> {
    return this.ask(seq => ({ op: 'update', stream, seq, bytes, md5 }))
  }

  /** The stream's sha256; its state is gone afterwards. */
  async digest(stream: number): Promise<Buffer> {
    const reply = await this.ask(seq => ({ op: 'digest', stream, seq }))
    return Buffer.from(reply.digest as Uint8Array)
  }

  /** Forgets a stream that will not be digested (its upload failed). */
  drop(stream: number): void {
    if (this.broken === undefined) this.worker.postMessage({ op: 'drop', stream } satisfies HashRequest)
  }

  /** Ends the thread (tests; the process does not wait for it anyway). */
  async stop(): Promise<void> {
    this.broken ??= new Error('the hash thread was stopped')
    await this.worker.terminate()
  }

  private ask(request: (seq: number) => HashRequest): Promise<HashReply> {
    if (this.broken !== undefined) return Promise.reject(this.broken)
    const seq = this.nextSeq++
    return new Promise<HashReply>((resolve, reject) => {
      // Waited for: the process must not end while bytes are being hashed.
      if (this.waiting.size === 0) this.worker.ref()
      this.waiting.set(seq, { resolve, reject })
      this.worker.postMessage(request(seq))
    })
  }

  private settle(reply: HashReply): void {
    const waiter = this.waiting.get(reply.seq)
    if (waiter === undefined) return
    this.waiting.delete(reply.seq)
    if (this.waiting.size === 0) this.worker.unref()
    if (reply.error !== undefined) waiter.reject(new Error(`hashing failed: ${reply.error}`))
    else waiter.resolve(reply)
  }

  private fail(error: Error): void {
    this.broken ??= error
    const waiters = [...this.waiting.values()]
    this.waiting.clear()
    this.worker.unref()
    for (const waiter of waiters) waiter.reject(this.broken)
  }
}
