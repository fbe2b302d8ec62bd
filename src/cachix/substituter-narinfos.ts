/**
 * Narinfos of the binary caches Nix substitutes from (cache.nixos.org, the hosts' own caches):
 * where the References, NarSize and FileSize of a path that a Cachix cache only counts as
 * present upstream come from. Read over HTTP; no NAR is ever fetched.
 */
import { showNixConfig } from '../nix/conf/file.js'
import { parseNarInfo, type NarInfo } from '../nix/format/narinfo.js'
import { hashPart } from '../nix/format/store-path.js'
import { narinfoSubstituters, substitutersInConfig } from '../nix/substituters.js'
import type { Log } from '../util/log.js'
import type { NarInfoSource } from './closure-walk.js'
import { sendHttp } from './http-transport.js'
import { errorMessage } from '../util/errors.js'
import { sleep } from '../util/async.js'

const USER_AGENT = 'nix-cachix-build/1'
const REQUEST_TIMEOUT_MS = 20_000
/** A substituter's brief trouble (a 5xx, a dropped connection) is asked again this often, a second apart. */
const RETRIES = 2

export interface Substituter {
  url: string
  /** A private cache's token, sent as Nix sends a netrc password (Basic auth, empty login). */
  password?: string
}

/** One HTTP(S) binary cache: `GET <url>/<hash>.narinfo`, 404 meaning it does not have the path. */
export class BinaryCacheNarInfos implements NarInfoSource {
  readonly url: string
  private readonly authorization: string | undefined

  constructor(
    substituter: Substituter,
    private readonly retryDelayMs = 1000
  ) {
    this.url = substituter.url.replace(/\/+$/, '')
    this.authorization =
      substituter.password === undefined
        ? undefined
        : `Basic ${Buffer.from(`:${substituter.password}`).toString('base64')}`
  }

  async narinfo(hash: string, signal?: AbortSignal): Promise<NarInfo | undefined> {
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: 'text/x-nix-narinfo' }
    if (this.authorization !== undefined) headers.Authorization = this.authorization
    for (let attempt = 0; ; attempt++) {
      let reason: string
      try {
        const response = await sendHttp(
          'GET',
          `${this.url}/${hash}.narinfo`,
          headers,
          undefined,
          REQUEST_TIMEOUT_MS,
          signal
        )
        if (response.status === 404 || response.status === 410) return undefined
        if (response.status === 200) {
          const info = parseNarInfo(response.body.toString('utf8'))
          if (hashPart(info.storePath) !== hash) throw new Error(`its narinfo for ${hash} is about ${info.storePath}`)
          return info
        }
        reason = `HTTP ${response.status}`
        if (response.status !== 429 && response.status < 500) throw new Error(reason)
      } catch (error: unknown) {
        if (signal?.aborted) throw error
        if (!isConnectionError(error)) throw error
        reason = errorMessage(error)
      }
      if (attempt >= RETRIES) throw new Error(`${reason} after ${attempt + 1} attempts`)
      await sleep(this.retryDelayMs * (attempt + 1), signal)
    }
  }
}

/** A dropped or stalled connection may work the next time; a refused one or an unknown host will not. */
const TRANSIENT = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET'])

function isConnectionError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' && TRANSIENT.has(code)
}

/**
 * The substituters, asked in order until one has the path. One that fails (unreachable, a
 * private cache without its token, a 5xx that persists) is left out for the rest of the run,
 * with one line in the log, so a dead cache costs one failure, not one per path.
 */
export class SubstituterNarInfos implements NarInfoSource {
  private readonly live: BinaryCacheNarInfos[]
  /** url → why it is no longer asked */
  readonly dropped = new Map<string, string>()
  private readonly found = new Map<string, Promise<{ url: string; info: NarInfo } | undefined>>()
  /** Paths asked about (each once). */
  lookups = 0

  constructor(
    substituters: (Substituter | BinaryCacheNarInfos)[],
    private readonly log?: Log
  ) {
    this.live = substituters.map(s => (s instanceof BinaryCacheNarInfos ? s : new BinaryCacheNarInfos(s)))
  }

  /** The substituters still asked. */
  get urls(): string[] {
    return this.live.map(s => s.url)
  }

  /** Which substituters were asked, for a message about a path none of them has. */
  describe(): string {
    const asked = [...this.urls, ...[...this.dropped].map(([url, why]) => `${url} (not answering: ${why})`)]
    return asked.length === 0 ? 'no substituter' : asked.join(', ')
  }

  /** The first substituter that has the path, and its narinfo; asked once per path for the whole run. */
  find(hash: string, signal?: AbortSignal): Promise<{ url: string; info: NarInfo } | undefined> {
    let found = this.found.get(hash)
    if (found === undefined) {
      this.lookups++
      found = this.ask(hash, signal)
      // Only an abort rejects; it is not remembered.
      found.catch(() => this.found.delete(hash))
      this.found.set(hash, found)
    }
    return found
  }

  private async ask(hash: string, signal?: AbortSignal): Promise<{ url: string; info: NarInfo } | undefined> {
    for (const source of [...this.live]) {
      if (!this.live.includes(source)) continue
      try {
        const info = await source.narinfo(hash, signal)
        if (info !== undefined) return { url: source.url, info }
      } catch (error: unknown) {
        signal?.throwIfAborted()
        const index = this.live.indexOf(source)
        if (index < 0) continue
        this.live.splice(index, 1)
        this.dropped.set(source.url, errorMessage(error))
        this.log?.info(
          `substituter ${source.url} is not asked for narinfos any more in this run: ${errorMessage(error)}`
        )
      }
    }
    return undefined
  }

  async narinfo(hash: string, signal?: AbortSignal): Promise<NarInfo | undefined> {
    return (await this.find(hash, signal))?.info
  }
}

export interface ConfiguredSubstituters {
  env: NodeJS.ProcessEnv
  /** Caches not to ask (the Cachix cache itself, which lacks upstream paths by definition). */
  exclude: string[]
  /** Tokens of private caches, by host name (the netrc the action writes for Nix). */
  credentials?: { host: string; password: string }[]
  log?: Log
}

/**
 * The narinfo sources of the substituters Nix uses here (`nix config show`): cache.nixos.org by
 * default, plus what the job added (the hosts' own caches, extra-pull-caches), or on a laptop what
 * it substitutes from.
 */
export async function configuredSubstituterNarInfos(options: ConfiguredSubstituters): Promise<SubstituterNarInfos> {
  const urls = narinfoSubstituters(substitutersInConfig(await showNixConfig(options.env)), options.exclude)
  const password = (url: string): string | undefined =>
    options.credentials?.find(c => c.host === new URL(url).hostname)?.password
  return new SubstituterNarInfos(
    urls.map(url => ({ url, password: password(url) })),
    options.log
  )
}
