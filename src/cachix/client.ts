import {
  CACHIX_RETRY_POLICY,
  isRetryableStatus,
  nextDelay,
  parseRetryAfter,
  scaledPolicy,
  type RetryPolicy
} from './retry-policy.js'
import type {
  BinaryCache,
  CompleteMultipartRequest,
  CreateMultipartResponse,
  UploadPartResponse,
  WireCompression
} from './types.js'
import { sendHttp, type HttpBody, type HttpResponse } from './http-transport.js'
import { parseNarInfo, type NarInfo } from '../nix/format/narinfo.js'
import { retryScale } from '../util/knobs.js'
import { chunks } from '../util/arrays.js'
import { sleep } from '../util/async.js'

export const DEFAULT_CACHIX_URL = 'https://cachix.org'
// Cachix batches the bulk query at 32768 hashes so a request stays under 1 MB.
const MISSING_QUERY_BATCH = 32768
const USER_AGENT = 'nix-cachix-build/1'

export interface CachixClientOptions {
  baseUrl?: string
  cacheName: string
  authToken?: string
  retryPolicy?: RetryPolicy
  /** Abort one HTTP request that takes longer than this. */
  requestTimeoutMs?: number
  random?: () => number
  onRetry?: (what: string, attempt: number, delayMs: number, reason: string) => void
}

/** An HTTP answer that is final: retrying will not help. */
export class CachixError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly fatal: boolean
  ) {
    super(message)
  }
}

export class CachixClient {
  readonly cacheName: string
  private readonly baseUrl: string
  private readonly token: string
  private readonly policy: RetryPolicy
  private readonly requestTimeoutMs: number
  private readonly random: () => number

  constructor(private readonly options: CachixClientOptions) {
    this.cacheName = options.cacheName
    this.baseUrl = (options.baseUrl ?? DEFAULT_CACHIX_URL).replace(/\/+$/, '')
    this.token = options.authToken ?? ''
    this.policy = options.retryPolicy ?? scaledPolicy(CACHIX_RETRY_POLICY, retryScale())
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10 * 60_000
    this.random = options.random ?? Math.random
  }

  private api(path: string): string {
    return `${this.baseUrl}/api/v1/cache/${encodeURIComponent(this.cacheName)}${path}`
  }

  /** The cache's settings; `policy` replaces the client's retries for this one call (a first contact that must not wait long). */
  async getCache(signal?: AbortSignal, policy?: RetryPolicy): Promise<BinaryCache> {
    const response = await this.send('GET', this.api(''), { what: 'cache info', signal, policy })
    return json<BinaryCache>(response)
  }

  /** The subset of `hashes` (32-char store hashes) that the cache does not have. */
  async missingHashes(hashes: string[], signal?: AbortSignal): Promise<Set<string>> {
    const unique = [...new Set(hashes)]
    const missing = new Set<string>()
    for (const batch of chunks(unique, MISSING_QUERY_BATCH)) {
      const response = await this.send('POST', this.api('/narinfo'), {
        json: batch,
        what: 'missing-paths query',
        signal
      })
      for (const hash of json<string[]>(response)) missing.add(hash)
    }
    return missing
  }

  /** The narinfo of one store hash (32 characters), or undefined when the cache does not have it. */
  async narinfo(hash: string, signal?: AbortSignal): Promise<NarInfo | undefined> {
    try {
      const response = await this.send('GET', this.api(`/${hash}.narinfo`), {
        what: 'narinfo lookup',
        accept: 'text/x-nix-narinfo',
        signal
      })
      return parseNarInfo(response.body.toString('utf8'))
    } catch (error: unknown) {
      if (error instanceof CachixError && error.status === 404) return undefined
      throw error
    }
  }

  async createUpload(compression: WireCompression, signal?: AbortSignal): Promise<CreateMultipartResponse> {
    const response = await this.send('POST', this.api(`/multipart-nar?compression=${compression}`), {
      what: 'upload creation',
      signal
    })
    return json<CreateMultipartResponse>(response)
  }

  async presignPart(
    narId: string,
    uploadId: string,
    partNumber: number,
    contentMD5: string,
    signal?: AbortSignal
  ): Promise<string> {
    const url = this.api(
      `/multipart-nar/${encodeURIComponent(narId)}?uploadId=${encodeURIComponent(uploadId)}&partNumber=${partNumber}`
    )
    const response = await this.send('POST', url, { json: { contentMD5 }, what: `part ${partNumber} URL`, signal })
    return json<UploadPartResponse>(response).uploadUrl
  }

  /** PUT one part to its presigned URL (object storage: no Authorization). Returns the ETag verbatim. */
  async putPart(
    uploadUrl: string,
    body: Buffer | readonly Buffer[],
    contentMD5: string,
    signal?: AbortSignal
  ): Promise<string | undefined> {
    const response = await this.send('PUT', uploadUrl, {
      body,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-MD5': contentMD5 },
      anonymous: true,
      what: 'part upload',
      signal
    })
    return response.header('etag')
  }

  async completeUpload(
    narId: string,
    uploadId: string,
    request: CompleteMultipartRequest,
    signal?: AbortSignal
  ): Promise<void> {
    const url = this.api(
      `/multipart-nar/${encodeURIComponent(narId)}/complete?uploadId=${encodeURIComponent(uploadId)}`
    )
    await this.send('POST', url, { json: request, what: 'upload completion', signal })
  }

  async abortUpload(narId: string, uploadId: string): Promise<void> {
    const url = this.api(`/multipart-nar/${encodeURIComponent(narId)}/abort?uploadId=${encodeURIComponent(uploadId)}`)
    await this.send('POST', url, { what: 'upload abort', retries: false })
  }

  private async send(
    method: string,
    url: string,
    request: {
      json?: unknown
      body?: Buffer | readonly Buffer[]
      headers?: Record<string, string>
      anonymous?: boolean
      accept?: string
      what: string
      signal?: AbortSignal
      retries?: boolean
      policy?: RetryPolicy
    }
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      'User-Agent': USER_AGENT,
      Accept: request.accept ?? 'application/json;charset=utf-8,application/json',
      ...request.headers
    }
    // An empty token is still sent as "Bearer ", as Cachix's client does; the server reads it as anonymous.
    if (!request.anonymous) headers.Authorization = `Bearer ${this.token}`
    let body: HttpBody | undefined = request.body
    if (request.json !== undefined) {
      headers['Content-Type'] = 'application/json;charset=utf-8'
      body = JSON.stringify(request.json)
    }
    let spentMs = 0
    for (let attempt = 0; ; attempt++) {
      request.signal?.throwIfAborted()
      let reason: string
      let retryAfterMs: number | undefined
      try {
        const response = await sendHttp(method, url, headers, body, this.requestTimeoutMs, request.signal)
        if (response.status === 200) return response
        const text = response.body.toString('utf8').slice(0, 300)
        if (!isRetryableStatus(response.status)) throw this.finalError(response.status, text, request.what)
        reason = `HTTP ${response.status}`
        retryAfterMs = parseRetryAfter(response.header('retry-after'), Date.now()) ?? retryAfterFromBody(text)
      } catch (error: unknown) {
        if (error instanceof CachixError) throw error
        if (request.signal?.aborted)
          throw request.signal.reason instanceof Error ? request.signal.reason : new Error('aborted')
        reason = connectionErrorText(error)
      }
      const delay =
        request.retries === false
          ? undefined
          : nextDelay(request.policy ?? this.policy, attempt, spentMs, retryAfterMs, this.random)
      if (delay === undefined) {
        throw new CachixError(
          `Cachix ${request.what} for cache ${this.cacheName} kept failing (${reason}) after ${attempt + 1} attempts over ${spentMs < 10_000 ? (spentMs / 1000).toFixed(1) : Math.round(spentMs / 1000)} s`,
          undefined,
          false
        )
      }
      this.options.onRetry?.(request.what, attempt + 1, delay, reason)
      spentMs += delay
      await sleep(delay, request.signal)
    }
  }

  private finalError(status: number, body: string, what: string): CachixError {
    const cache = this.cacheName
    const detail = body.trim() === '' ? '' : ` (server said: ${body.trim().split('\n')[0]})`
    switch (status) {
      case 401:
        return new CachixError(
          this.token === ''
            ? `Cachix cache "${cache}" is private or does not exist and no auth token was given: set cachix-auth-token`
            : `Cachix rejected the auth token for cache "${cache}" (HTTP 401): check that the token secret is current and was made for this cache${detail}`,
          status,
          true
        )
      case 403:
        return new CachixError(
          `the auth token may not write to Cachix cache "${cache}" (HTTP 403): create a token with write access to it${detail}`,
          status,
          true
        )
      case 404:
        return new CachixError(
          `Cachix cache "${cache}" does not exist (HTTP 404 on ${what}): check the cache name${detail}`,
          status,
          true
        )
      default:
        return new CachixError(
          `Cachix ${what} for cache "${cache}" failed with HTTP ${status}${detail}`,
          status,
          status === 400 || status === 413
        )
    }
  }
}

function retryAfterFromBody(body: string): number | undefined {
  try {
    const parsed = JSON.parse(body) as { retry_after?: unknown }
    return typeof parsed.retry_after === 'number' ? parsed.retry_after * 1000 : undefined
  } catch {
    return undefined
  }
}

function connectionErrorText(error: unknown): string {
  if (error instanceof Error) return (error as Error & { code?: string }).code ?? error.message
  return String(error)
}

function json<T>(response: HttpResponse): T {
  try {
    return JSON.parse(response.body.toString('utf8')) as T
  } catch {
    throw new CachixError(
      `the Cachix API answered with something that is not JSON: ${response.body.toString('utf8').slice(0, 120)}`,
      response.status,
      true
    )
  }
}
