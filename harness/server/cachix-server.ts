/** The local Cachix-compatible server: its caches, injected faults, routing and lifecycle. */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { keyFromSeed, publicKeyString } from '../../src/nix/format/signing.js'
import { binaryCache } from './binary-cache.js'
import { CacheDir } from './cache-dir.js'
import { cachixApi } from './cachix-api.js'
import type { CacheState, LocalCacheConfig, ServerContext, ServerStats } from './context.js'
import { faultPicker, type FaultConfig } from './faults.js'
import { HttpError } from './http.js'
import { multipartUploads } from './multipart.js'
import { Upstream } from './upstream.js'
import { errorMessage } from '../../src/util/errors.js'

export type { LocalCacheConfig, ServerStats } from './context.js'

export interface CachixServerOptions {
  dataDir: string
  caches: LocalCacheConfig[]
  host?: string
  port?: number
  faults?: FaultConfig
  /** Decompress each completed upload and check cNarHash/cNarSize (default true). */
  verifyNars?: boolean
  log?: (line: string) => void
}

export interface RunningCachixServer {
  url: string
  /** The binary-cache URL Nix substitutes from for `name`. */
  cacheUrl(name: string): string
  /** `name:base64` keys that verify what the cache serves. */
  publicKeys(name: string): string[]
  stats: ServerStats
  /** Changes the injected faults from now on (undefined: none). */
  setFaults(faults: FaultConfig | undefined): void
  /** Revokes a token of cache `name` (a rotated secret): from now on it gets 401 like any unknown token. */
  revokeToken(name: string, token: string): void
  close(): Promise<void>
}

/**
 * A Cachix-compatible server for tests, the demo and benchmarks: the push API of
 * cachix-protocol.md, strict about field names and status codes, and the same caches
 * served as ordinary Nix binary caches under /cache/<name>/.
 */
export async function startCachixServer(options: CachixServerOptions): Promise<RunningCachixServer> {
  const caches = new Map<string, CacheState>()
  for (const config of options.caches) {
    const dir = new CacheDir(join(options.dataDir, config.name))
    await dir.init()
    const signing = config.signing ?? 'managed'
    const managedKey = signing === 'managed' ? keyFromSeed(randomBytes(32)) : undefined
    caches.set(config.name, {
      config: { isPublic: true, preferredCompression: 'ZSTD', ...config, signing },
      dir,
      keyName: `${config.name}.cachix.local-1`,
      managedKey,
      publicKeys: managedKey
        ? [managedKey.publicKey]
        : config.publicKey
          ? [Buffer.from(config.publicKey, 'base64')]
          : [],
      upstream: new Upstream(config.upstreamHashes ?? [], config.upstreamUrl, options.log),
      uploads: new Map()
    })
  }
  const ctx: ServerContext = {
    cacheOr404: name => {
      const cache = caches.get(name)
      if (!cache) throw new HttpError(404, `cache ${name} does not exist`)
      return cache
    },
    stats: { requests: 0, faults: 0, completed: 0, incompleteClosures: [] },
    faults: options.faults,
    baseUrl: '',
    verifyNars: options.verifyNars !== false,
    log: options.log ?? (() => undefined)
  }
  let pickFault = faultPicker(ctx.faults)
  const uploads = multipartUploads(ctx)
  const api = cachixApi(ctx, uploads)

  const server: Server = createServer((req, res) => {
    ctx.stats.requests++
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500
      if (!(error instanceof HttpError)) ctx.log(`internal error on ${req.method} ${req.url}: ${String(error)}`)
      if (!res.headersSent) {
        res.writeHead(status, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ error: errorMessage(error) }))
      } else res.destroy()
      req.resume()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const segments = url.pathname
      .split('/')
      .filter(s => s !== '')
      .map(decodeURIComponent)
    if (ctx.faults?.unavailable) {
      ctx.stats.faults++
      req.resume()
      res.writeHead(503, { 'Content-Type': 'text/html' })
      res.end('<html><head><title>503 Service Temporarily Unavailable</title></head><body>503</body></html>')
      return
    }
    const isApi = segments[0] === 'api' || segments[0] === 'upload'
    if (isApi) {
      const fault = pickFault()
      if (fault.kind !== 'none') ctx.stats.faults++
      switch (fault.kind) {
        case 'reset':
          req.socket.destroy()
          return
        case 'error':
          req.resume()
          throw new HttpError(500, 'injected fault: internal server error')
        case 'throttle':
          req.resume()
          res.writeHead(429, { 'Retry-After': String(fault.retryAfterSeconds), 'Content-Type': 'application/json' })
          res.end(JSON.stringify({ error: 'injected fault: too many requests' }))
          return
        case 'slow':
          // Unref'd: a test that closes the server while an answer is held back does not keep the process alive.
          await new Promise(resolve => setTimeout(resolve, fault.ms).unref())
          break
      }
    }
    if (segments[0] === 'api' && segments[1] === 'v1' && segments[2] === 'cache' && segments.length >= 4) {
      return api(req, res, ctx.cacheOr404(segments[3]), segments.slice(4), url)
    }
    if (segments[0] === 'upload' && segments.length === 4)
      return uploads.putPart(req, res, segments[1], segments[2], Number(segments[3]), url)
    if (segments[0] === 'cache' && segments.length >= 2)
      return binaryCache(ctx, req, res, ctx.cacheOr404(segments[1]), segments.slice(2))
    throw new HttpError(404, `no route for ${req.method} ${url.pathname}`)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  const baseUrl = `http://${options.host ?? '127.0.0.1'}:${address.port}`
  ctx.baseUrl = baseUrl
  server.keepAliveTimeout = 30_000

  return {
    url: baseUrl,
    cacheUrl: name => `${baseUrl}/cache/${name}`,
    publicKeys: name => {
      const cache = ctx.cacheOr404(name)
      return cache.publicKeys.map(k => publicKeyString(cache.keyName, k))
    },
    stats: ctx.stats,
    setFaults: config => {
      ctx.faults = config
      pickFault = faultPicker(config)
    },
    revokeToken: (name, token) => {
      const { config } = ctx.cacheOr404(name)
      config.writeTokens = config.writeTokens?.filter(t => t !== token)
      config.readTokens = config.readTokens?.filter(t => t !== token)
    },
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
