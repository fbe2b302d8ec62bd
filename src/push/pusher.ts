import { setMaxListeners } from 'node:events'
import { CachixError, sleep, type CachixClient } from '../cachix/client.js'
import type { PathInfo } from '../nix/path-info.js'
import { hashPart } from '../nix/store-path.js'
import type { NixStore } from '../nix/store.js'
import { errorMessage } from '../util/process.js'
import { ByteBudget } from './byte-budget.js'
import type { PushFilter } from './filter.js'
import { NarMismatchError, NarSource, uploadStorePath, type UploadSettings } from './upload-path.js'

export type PushEvent =
  | { kind: 'queued'; path: string; narSize: number }
  | { kind: 'skipped'; path: string; reason: 'present' | 'filtered' | 'invalid'; detail?: string }
  | { kind: 'uploaded'; path: string; narSize: number; fileSize: number; ms: number; attempts: number }
  | { kind: 'retrying'; path: string; attempt: number; error: string }
  | { kind: 'failed'; path: string; error: string; attempts: number }

export interface PushTotals {
  /** Distinct store paths considered (roots and their closures). */
  considered: number
  uploaded: number
  uploadedNarBytes: number
  uploadedFileBytes: number
  skippedPresent: number
  skippedFiltered: number
  invalid: number
  failed: number
  /** Waiting or uploading right now. */
  pending: number
}

export interface PushReport extends PushTotals {
  /** Paths that were still queued or uploading when the drain deadline came. */
  leftovers: string[]
  failures: { path: string; error: string }[]
  /** A problem that stopped the pusher as a whole (bad token, unknown cache). */
  fatal?: string
  durationMs: number
}

export interface PusherOptions {
  client: CachixClient
  store: NixStore
  filter: PushFilter
  upload: Omit<UploadSettings, 'client' | 'store' | 'budget'>
  /** Store paths uploaded at once. */
  jobs: number
  /** Bytes of part buffers held across all uploads. */
  bufferBytes: number
  /** Whole-path retries after the first attempt. */
  pathRetries: number
  pathRetryDelayMs: number
  onEvent?: (event: PushEvent) => void
}

interface QueuedPath {
  info: PathInfo
}

/**
 * Takes store paths as they appear, expands their closures, asks the cache which are
 * missing and uploads those with bounded concurrency. `drain` says no more paths will come.
 */
export class Pusher {
  private readonly known = new Set<string>()
  private readonly roots: string[] = []
  private readonly queue: QueuedPath[] = []
  private readonly active = new Set<string>()
  private readonly failures: { path: string; error: string }[] = []
  private readonly budget: ByteBudget
  private readonly controller = new AbortController()
  private readonly started = Date.now()
  private readonly counts = { uploaded: 0, uploadedNarBytes: 0, uploadedFileBytes: 0, skippedPresent: 0, skippedFiltered: 0, invalid: 0 }
  private resolving = false
  /** Roots whose closure is being expanded right now. */
  private inResolution: string[] = []
  private closed = false
  private fatal?: string
  private wake: () => void = () => undefined
  private wakeSignal: Promise<void> = Promise.resolve()
  private readonly workers: Promise<void>[] = []

  constructor(private readonly options: PusherOptions) {
    this.budget = new ByteBudget(Math.max(options.bufferBytes, options.upload.partSize))
    // Every upload and request in flight listens on this one signal; that is not a leak.
    setMaxListeners(0, this.controller.signal)
    this.resetWake()
    for (let i = 0; i < options.jobs; i++) this.workers.push(this.worker())
  }

  /** Enqueue store paths (their closures follow). Returns at once; the work is asynchronous. */
  add(paths: string[]): void {
    if (this.closed) throw new Error('the pusher was already told that no more paths will come')
    const fresh = paths.filter(p => !this.known.has(p))
    if (fresh.length === 0) return
    this.roots.push(...fresh)
    void this.resolve()
  }

  totals(): PushTotals {
    return {
      considered: this.known.size,
      ...this.counts,
      failed: this.failures.length,
      pending: this.queue.length + this.active.size + this.roots.length
    }
  }

  /** No more paths. Waits for the work to finish, or until `timeoutMs`, and reports. */
  async drain(timeoutMs?: number): Promise<PushReport> {
    this.closed = true
    this.notify()
    const finished = this.idle()
    if (timeoutMs === undefined) await finished
    else {
      let timer: NodeJS.Timeout | undefined
      const timedOut = await Promise.race([
        finished.then(() => false),
        new Promise<boolean>(resolve => {
          timer = setTimeout(() => resolve(true), timeoutMs)
        })
      ])
      clearTimeout(timer)
      if (timedOut) this.controller.abort(new Error('the drain deadline passed'))
    }
    const leftovers = [...new Set([...this.inResolution, ...this.roots, ...this.active, ...this.queue.map(q => q.info.path)])]
    this.queue.length = 0
    this.roots.length = 0
    this.notify()
    await Promise.allSettled(this.workers)
    return { ...this.totals(), pending: leftovers.length, leftovers, failures: [...this.failures], fatal: this.fatal, durationMs: Date.now() - this.started }
  }

  private async idle(): Promise<void> {
    while (this.roots.length > 0 || this.resolving || this.queue.length > 0 || this.active.size > 0) {
      await this.wakeSignal
    }
  }

  private resetWake(): void {
    this.wakeSignal = new Promise(resolve => {
      this.wake = resolve
    })
  }

  private notify(): void {
    const wake = this.wake
    this.resetWake()
    wake()
  }

  private emit(event: PushEvent): void {
    this.options.onEvent?.(event)
  }

  private async resolve(): Promise<void> {
    if (this.resolving) return
    this.resolving = true
    try {
      while (this.roots.length > 0 && !this.controller.signal.aborted) {
        const batch = this.roots.splice(0, this.roots.length)
        this.inResolution = batch
        try {
          await this.resolveBatch(batch)
        } catch (error: unknown) {
          // Cut off by the drain deadline: these are leftovers, not failures.
          if (this.controller.signal.aborted) break
          const message = errorMessage(error)
          if (error instanceof CachixError && error.fatal) this.fatal ??= message
          for (const path of batch) {
            if (!this.known.has(path)) {
              this.known.add(path)
              this.failures.push({ path, error: message })
              this.emit({ kind: 'failed', path, error: message, attempts: 0 })
            }
          }
        }
        this.inResolution = []
        this.notify()
      }
    } finally {
      this.resolving = false
      this.notify()
    }
  }

  private async resolveBatch(batch: string[]): Promise<void> {
    const { store, client, filter } = this.options
    if (this.fatal) throw new Error(this.fatal)
    const rootInfos = await store.pathInfos(batch.filter(p => !this.known.has(p)))
    const validRoots: string[] = []
    for (const path of batch) {
      if (this.known.has(path)) continue
      if (rootInfos.has(path)) validRoots.push(path)
      else {
        this.known.add(path)
        this.counts.invalid++
        this.emit({ kind: 'skipped', path, reason: 'invalid', detail: 'not a valid store path' })
      }
    }
    const fresh = (await store.closure(validRoots)).filter(p => !this.known.has(p))
    const candidates: string[] = []
    for (const path of fresh) {
      this.known.add(path)
      const reason = filter.excluded(path)
      if (reason === undefined) candidates.push(path)
      else {
        this.counts.skippedFiltered++
        this.emit({ kind: 'skipped', path, reason: 'filtered', detail: reason })
      }
    }
    if (candidates.length === 0) return
    const infos = await store.pathInfos(candidates.filter(p => !rootInfos.has(p)))
    for (const [path, info] of rootInfos) infos.set(path, info)
    const missing = await client.missingHashes(candidates.map(hashPart), this.controller.signal)
    for (const path of candidates) {
      const info = infos.get(path)
      if (!info) {
        this.counts.invalid++
        this.emit({ kind: 'skipped', path, reason: 'invalid', detail: 'disappeared from the store' })
      } else if (missing.has(hashPart(path))) {
        this.queue.push({ info })
        this.emit({ kind: 'queued', path, narSize: info.narSize })
      } else {
        this.counts.skippedPresent++
        this.emit({ kind: 'skipped', path, reason: 'present' })
      }
    }
  }

  private async worker(): Promise<void> {
    for (;;) {
      const next = this.queue.shift()
      if (!next) {
        if (this.closed && !this.resolving && this.roots.length === 0) return
        if (this.controller.signal.aborted) return
        await this.wakeSignal
        continue
      }
      this.active.add(next.info.path)
      try {
        await this.uploadWithRetries(next.info)
      } finally {
        this.active.delete(next.info.path)
        this.notify()
      }
    }
  }

  private async uploadWithRetries(info: PathInfo): Promise<void> {
    const { client, store, upload, pathRetries, pathRetryDelayMs } = this.options
    const signal = this.controller.signal
    const startedAt = Date.now()
    let source = NarSource.InProcess
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.fatal) throw new Error(this.fatal)
        const result = await uploadStorePath(info, { ...upload, client, store, budget: this.budget }, signal, source)
        this.counts.uploaded++
        this.counts.uploadedNarBytes += result.narSize
        this.counts.uploadedFileBytes += result.fileSize
        this.emit({ kind: 'uploaded', path: info.path, narSize: result.narSize, fileSize: result.fileSize, ms: Date.now() - startedAt, attempts: attempt })
        return
      } catch (error: unknown) {
        if (signal.aborted) return
        if (error instanceof NarMismatchError && error.source === NarSource.InProcess) {
          // Let Nix's own serialiser decide whether the store or this one is wrong.
          source = NarSource.NixStore
          attempt--
          continue
        }
        const message = errorMessage(error)
        const final = error instanceof NarMismatchError || (error instanceof CachixError && error.fatal) || this.fatal !== undefined
        if (error instanceof CachixError && error.fatal && (error.status === 401 || error.status === 403 || error.status === 404)) this.fatal ??= message
        if (final || attempt > pathRetries) {
          this.failures.push({ path: info.path, error: message })
          this.emit({ kind: 'failed', path: info.path, error: message, attempts: attempt })
          return
        }
        this.emit({ kind: 'retrying', path: info.path, attempt, error: message })
        try {
          await sleep(pathRetryDelayMs, signal)
        } catch {
          return
        }
      }
    }
  }
}
