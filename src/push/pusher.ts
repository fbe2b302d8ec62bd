import { setMaxListeners } from 'node:events'
import { CachixError, type CachixClient } from '../cachix/client.js'
import type { PathInfo } from '../nix/format/path-info.js'
import { hashPart } from '../nix/format/store-path.js'
import type { NixStore } from '../nix/store.js'
import { ByteBudget } from './upload/byte-budget.js'
import { narFromNixStore } from '../util/knobs.js'
import type { PushFilter } from './filter.js'
import { retireIdleLanes } from './upload/zstd-lanes.js'
import { errorMessage } from '../util/errors.js'
import { sleep } from '../util/async.js'
import {
  completeStaged,
  discardStaged,
  NarMismatchError,
  NarSource,
  prepareUploads,
  stageStorePath,
  type StagedUpload,
  type UploadSettings
} from './upload/upload-path.js'

export type PushEvent =
  | { kind: 'queued'; path: string; narSize: number }
  | { kind: 'skipped'; path: string; reason: 'present' | 'filtered' | 'invalid'; detail?: string }
  | { kind: 'uploaded'; path: string; narSize: number; fileSize: number; ms: number; attempts: number }
  | { kind: 'retrying'; path: string; attempt: number; error: string }
  | { kind: 'failed'; path: string; error: string; attempts: number }
  /** Staged in storage and held back until its references are in the cache. */
  | { kind: 'waiting'; path: string; references: string[] }

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
  /** How NARs are read first (default: in process, unless NIX_CACHIX_BUILD_NAR says nix-store). */
  narSource?: NarSource
  onEvent?: (event: PushEvent) => void
}

interface QueuedPath {
  info: PathInfo
  /** Attempts already made (a completion that failed puts the path back in the queue). */
  attempts: number
  startedAt: number
}

/** A staged NAR held back until every reference of its path is in the cache. */
interface ParkedPath {
  queued: QueuedPath
  staged: StagedUpload
  /** References not yet in the cache. */
  awaiting: Set<string>
}

/**
 * Where each path known to this pusher stands. `present` and `done` are in the cache;
 * `filtered`, `invalid` and `failed` never will be, and neither will anything that
 * references them.
 */
type PathState =
  'present' | 'done' | 'filtered' | 'invalid' | 'failed' | 'queued' | 'uploading' | 'parked' | 'completing'

/** Shortest time between the starts of two batches of roots while paths keep coming. */
const BATCH_INTERVAL_MS = 1000

const IN_CACHE: ReadonlySet<PathState> = new Set(['present', 'done'])
const NEVER_IN_CACHE: ReadonlySet<PathState> = new Set(['filtered', 'invalid', 'failed'])

/**
 * Takes store paths as they appear, expands their closures, asks the cache which are
 * missing and uploads those with bounded concurrency. A path's NAR may be uploaded in any
 * order, but its narinfo is published only once all of its references are in the cache, so
 * the cache never holds a closure with a hole. `drain` says no more paths will come.
 */
export class Pusher {
  private readonly state = new Map<string, PathState>()
  /** What keeps a path out of the cache for good, for the paths that never will be in it. */
  private readonly why = new Map<string, string>()
  /** For a path blocked by its closure: the path that failed or was excluded. */
  private readonly cause = new Map<string, string>()
  private readonly roots: string[] = []
  private readonly queue: QueuedPath[] = []
  private readonly active = new Set<string>()
  private readonly parked = new Map<string, ParkedPath>()
  /** Reference → parked paths waiting for it. */
  private readonly dependents = new Map<string, Set<string>>()
  private readonly completions = new Set<Promise<void>>()
  private readonly failures: { path: string; error: string }[] = []
  private readonly budget: ByteBudget
  private readonly controller = new AbortController()
  private readonly started = Date.now()
  private readonly counts = {
    uploaded: 0,
    uploadedNarBytes: 0,
    uploadedFileBytes: 0,
    skippedPresent: 0,
    skippedFiltered: 0,
    invalid: 0
  }
  private resolving = false
  /** When the last batch of roots started resolving (ms, performance.now()). */
  private lastBatchAt = -Infinity
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
    const fresh = paths.filter(p => !this.state.has(p))
    if (fresh.length === 0) return
    // While the closure is read, whatever an upload needs gets ready.
    prepareUploads(this.options.upload.compression)
    this.roots.push(...fresh)
    void this.resolve()
  }

  totals(): PushTotals {
    return {
      considered: this.state.size,
      ...this.counts,
      failed: this.failures.length,
      pending: this.queue.length + this.active.size + this.roots.length + this.parked.size + this.completions.size
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
    const leftovers = [
      ...new Set([
        ...this.inResolution,
        ...this.roots,
        ...this.active,
        ...this.queue.map(q => q.info.path),
        ...this.parked.keys()
      ])
    ]
    this.queue.length = 0
    this.roots.length = 0
    this.notify()
    await Promise.allSettled(this.workers)
    await Promise.allSettled([...this.completions])
    // Staged NARs that never got their references: nothing of them may be published.
    await Promise.allSettled([...this.parked.values()].map(p => discardStaged(this.options.client, p.staged)))
    this.parked.clear()
    // No more uploads from this pusher: its long-lived zstd programs end now, not when they idle out.
    await retireIdleLanes()
    return {
      ...this.totals(),
      pending: leftovers.length,
      leftovers,
      failures: [...this.failures],
      fatal: this.fatal,
      durationMs: Date.now() - this.started
    }
  }

  private async idle(): Promise<void> {
    while (
      this.roots.length > 0 ||
      this.resolving ||
      this.queue.length > 0 ||
      this.active.size > 0 ||
      this.parked.size > 0 ||
      this.completions.size > 0
    ) {
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
        await this.gatherRoots()
        if (this.controller.signal.aborted) break
        this.lastBatchAt = performance.now()
        const batch = this.roots.splice(0, this.roots.length)
        this.inResolution = batch
        try {
          await this.resolveBatch(batch)
        } catch (error: unknown) {
          // Cut off by the drain deadline: these are leftovers, not failures.
          if (this.controller.signal.aborted) break
          const message = errorMessage(error)
          if (error instanceof CachixError && error.fatal) this.fatal ??= message
          for (const path of batch) if (!this.state.has(path)) this.fail(path, message, 0)
        }
        this.inResolution = []
        this.notify()
      }
    } finally {
      this.resolving = false
      this.notify()
    }
  }

  /**
   * While paths keep coming (a build finishing a derivation every fraction of a second), a
   * batch starts at most every BATCH_INTERVAL_MS, so the roots that arrive meanwhile share one
   * closure query (a Nix program start, CPU taken from the builders) instead of one each. Once
   * drain says no more paths will come, nothing waits.
   */
  private async gatherRoots(): Promise<void> {
    for (;;) {
      const left = this.lastBatchAt + BATCH_INTERVAL_MS - performance.now()
      if (left <= 0 || this.closed || this.controller.signal.aborted) return
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        new Promise<void>(resolve => {
          timer = setTimeout(resolve, left)
        }),
        this.wakeSignal
      ])
      clearTimeout(timer)
    }
  }

  private async resolveBatch(batch: string[]): Promise<void> {
    const { store, client, filter } = this.options
    if (this.fatal) throw new Error(this.fatal)
    const roots = [...new Set(batch.filter(p => !this.state.has(p)))]
    // One program start for the closure and its metadata when every root is valid (the usual
    // case: outputs the build just made); path by path otherwise.
    const closureInfos = await store.closureInfos(roots)
    const rootInfos =
      closureInfos === undefined ? await store.pathInfos(roots) : new Map(closureInfos.map(info => [info.path, info]))
    const validRoots: string[] = []
    for (const path of roots) {
      if (rootInfos.has(path)) validRoots.push(path)
      else this.skipInvalid(path, 'not a valid store path')
    }
    // Dependencies come before dependents here, so the queue mostly publishes in order.
    const closure = closureInfos === undefined ? await store.closure(validRoots) : closureInfos.map(info => info.path)
    const fresh = closure.filter(p => !this.state.has(p))
    const candidates: string[] = []
    for (const path of fresh) {
      const reason = filter.excluded(path)
      if (reason === undefined) candidates.push(path)
      else {
        this.state.set(path, 'filtered')
        this.why.set(path, `is excluded from pushing (${reason})`)
        this.counts.skippedFiltered++
        this.emit({ kind: 'skipped', path, reason: 'filtered', detail: reason })
      }
    }
    if (candidates.length === 0) return
    const infos = await store.pathInfos(candidates.filter(p => !rootInfos.has(p)))
    for (const [path, info] of rootInfos) infos.set(path, info)
    const missing = await client.missingHashes(candidates.map(hashPart), this.controller.signal)
    let queuedNarBytes = 0
    for (const path of candidates) {
      const info = infos.get(path)
      if (!info) this.skipInvalid(path, 'disappeared from the store')
      else if (missing.has(hashPart(path))) {
        queuedNarBytes += info.narSize
        this.state.set(path, 'queued')
        this.queue.push({ info, attempts: 0, startedAt: Date.now() })
        this.emit({ kind: 'queued', path, narSize: info.narSize })
      } else {
        this.state.set(path, 'present')
        this.counts.skippedPresent++
        this.emit({ kind: 'skipped', path, reason: 'present' })
      }
    }
    // Before the workers wake (they wake once this batch is resolved): the hash threads start with the batch.
    prepareUploads(this.options.upload.compression, queuedNarBytes)
  }

  private skipInvalid(path: string, detail: string): void {
    this.state.set(path, 'invalid')
    this.why.set(path, detail === 'not a valid store path' ? 'is not a valid store path' : detail)
    this.counts.invalid++
    this.emit({ kind: 'skipped', path, reason: 'invalid', detail })
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
      const path = next.info.path
      const blocker = this.blockingReference(next.info)
      if (blocker !== undefined) {
        this.fail(path, this.blockedMessage(blocker), next.attempts, blocker)
        continue
      }
      this.active.add(path)
      this.state.set(path, 'uploading')
      try {
        const staged = await this.stageWithRetries(next)
        if (staged) this.park(next, staged)
      } finally {
        this.active.delete(path)
        this.notify()
      }
    }
  }

  /** A reference of `info` that will never be in the cache, if there is one. */
  private blockingReference(info: PathInfo): string | undefined {
    return info.references.find(ref => ref !== info.path && NEVER_IN_CACHE.has(this.state.get(ref) ?? 'failed'))
  }

  /** Why a path cannot be published: the path at the bottom of the chain, not every link of it. */
  private blockedMessage(reference: string): string {
    const cause = this.cause.get(reference) ?? reference
    return `not published: its closure needs ${cause}, which ${this.why.get(cause) ?? 'was never examined'} (a cache entry without it would be an incomplete closure)`
  }

  /** Stages the NAR (create, parts), retrying the whole path. Undefined when it failed for good or was cut off. */
  private async stageWithRetries(queued: QueuedPath): Promise<StagedUpload | undefined> {
    const { client, store, upload, pathRetries, pathRetryDelayMs } = this.options
    const { info } = queued
    const signal = this.controller.signal
    let source = this.options.narSource ?? (narFromNixStore() ? NarSource.NixStore : NarSource.InProcess)
    for (;;) {
      queued.attempts++
      try {
        if (this.fatal) throw new Error(this.fatal)
        return await stageStorePath(info, { ...upload, client, store, budget: this.budget }, signal, source)
      } catch (error: unknown) {
        if (signal.aborted) return undefined
        if (error instanceof NarMismatchError && error.source === NarSource.InProcess) {
          // Let Nix's own serialiser decide whether the store or this one is wrong.
          source = NarSource.NixStore
          queued.attempts--
          continue
        }
        if (!(await this.retryOrFail(queued, error, pathRetries, pathRetryDelayMs))) return undefined
      }
    }
  }

  /** After a failed attempt: true to try again (after the delay), false once the path has failed for good. */
  private async retryOrFail(
    queued: QueuedPath,
    error: unknown,
    pathRetries: number,
    pathRetryDelayMs: number
  ): Promise<boolean> {
    const { path } = queued.info
    const message = errorMessage(error)
    const final =
      error instanceof NarMismatchError || (error instanceof CachixError && error.fatal) || this.fatal !== undefined
    if (
      error instanceof CachixError &&
      error.fatal &&
      (error.status === 401 || error.status === 403 || error.status === 404)
    )
      this.fatal ??= message
    if (final || queued.attempts > pathRetries) {
      this.fail(path, message, queued.attempts)
      return false
    }
    this.emit({ kind: 'retrying', path, attempt: queued.attempts, error: message })
    try {
      await sleep(pathRetryDelayMs, this.controller.signal)
      return true
    } catch {
      return false
    }
  }

  private park(queued: QueuedPath, staged: StagedUpload): void {
    const { info } = queued
    const blocker = this.blockingReference(info)
    if (blocker !== undefined) {
      void discardStaged(this.options.client, staged)
      this.fail(info.path, this.blockedMessage(blocker), queued.attempts, blocker)
      return
    }
    const awaiting = new Set(
      info.references.filter(ref => ref !== info.path && !IN_CACHE.has(this.state.get(ref) ?? 'failed'))
    )
    if (awaiting.size === 0) {
      this.complete(queued, staged)
      return
    }
    this.state.set(info.path, 'parked')
    this.parked.set(info.path, { queued, staged, awaiting })
    for (const ref of awaiting) {
      let waiting = this.dependents.get(ref)
      if (!waiting) this.dependents.set(ref, (waiting = new Set()))
      waiting.add(info.path)
    }
    this.emit({ kind: 'waiting', path: info.path, references: [...awaiting] })
  }

  private complete(queued: QueuedPath, staged: StagedUpload): void {
    const { info } = queued
    this.state.set(info.path, 'completing')
    const completion = (async () => {
      try {
        const result = await completeStaged(this.options.client, staged, this.controller.signal)
        this.state.set(info.path, 'done')
        this.counts.uploaded++
        this.counts.uploadedNarBytes += result.narSize
        this.counts.uploadedFileBytes += result.fileSize
        this.emit({
          kind: 'uploaded',
          path: info.path,
          narSize: result.narSize,
          fileSize: result.fileSize,
          ms: Date.now() - queued.startedAt,
          attempts: queued.attempts
        })
        this.release(info.path)
      } catch (error: unknown) {
        if (this.controller.signal.aborted) return
        // The staged NAR is gone with the failed completion: the whole path goes again.
        if (await this.retryOrFail(queued, error, this.options.pathRetries, this.options.pathRetryDelayMs)) {
          this.state.set(info.path, 'queued')
          this.queue.unshift(queued)
        }
      }
    })()
    this.completions.add(completion)
    void completion.finally(() => {
      this.completions.delete(completion)
      this.notify()
    })
  }

  /** `path` is in the cache now: its dependents waiting for nothing else are published. */
  private release(path: string): void {
    for (const parked of this.takeDependents(path)) {
      parked.awaiting.delete(path)
      if (parked.awaiting.size === 0) {
        this.parked.delete(parked.queued.info.path)
        this.complete(parked.queued, parked.staged)
      }
    }
  }

  /** `path` will never be in the cache, and so neither will anything waiting for it. */
  private fail(path: string, error: string, attempts: number, blockedBy?: string): void {
    this.state.set(path, 'failed')
    if (blockedBy === undefined) this.why.set(path, `failed (${error})`)
    else this.cause.set(path, this.cause.get(blockedBy) ?? blockedBy)
    this.failures.push({ path, error })
    this.emit({ kind: 'failed', path, error, attempts })
    for (const parked of this.takeDependents(path)) {
      this.parked.delete(parked.queued.info.path)
      void discardStaged(this.options.client, parked.staged)
      this.fail(parked.queued.info.path, this.blockedMessage(path), parked.queued.attempts, path)
    }
    this.notify()
  }

  /** The parked paths that were waiting for `path`, which no longer wait for it. */
  private takeDependents(path: string): ParkedPath[] {
    const waiting = this.dependents.get(path)
    this.dependents.delete(path)
    return [...(waiting ?? [])].flatMap(dependent => this.parked.get(dependent) ?? [])
  }
}
