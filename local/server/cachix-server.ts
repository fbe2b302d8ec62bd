import { spawn } from 'node:child_process'
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { BinaryCache, CompleteMultipartRequest, NarInfoCreate } from '../../src/cachix/types.js'
import { parseSha256, toNixHash } from '../../src/nix/hash.js'
import { fingerprint, renderNarInfo, parseNarInfo } from '../../src/nix/narinfo.js'
import { keyFromSeed, publicKeyString, signFingerprint, verifyFingerprint, type SigningKey } from '../../src/nix/signing.js'
import { STORE_DIR, parseBaseName } from '../../src/nix/store-path.js'
import { CacheDir } from './cache-dir.js'
import { faultPicker, type FaultConfig } from './faults.js'

export interface LocalCacheConfig {
  name: string
  /** Public caches are readable without a token (default true). */
  isPublic?: boolean
  /** Tokens that may push. */
  writeTokens?: string[]
  /** Tokens that may only read (private caches). */
  readTokens?: string[]
  /**
   * `managed`: pushes carry no signature and the server signs, as Cachix does by default.
   * `self`: every pushed narinfo must carry a cSig that verifies against `publicKey`.
   */
  signing?: 'managed' | 'self'
  /** base64 of the 32-byte public key, for `self` caches (or register it with POST …/key). */
  publicKey?: string
  preferredCompression?: 'ZSTD' | 'XZ'
  /** Store hashes that count as present "upstream" (Cachix skips what cache.nixos.org has). */
  upstreamHashes?: string[]
}

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

interface MultipartUpload {
  uploadId: string
  compression: 'xz' | 'zst'
  etags: Map<number, string>
  sizes: Map<number, number>
}

/** S3 refuses a multipart completion whose parts but the last are smaller than this. */
const MIN_PART_BYTES = 5 * 1024 * 1024

interface CacheState {
  config: Required<Pick<LocalCacheConfig, 'name' | 'isPublic' | 'signing' | 'preferredCompression'>> & LocalCacheConfig
  dir: CacheDir
  keyName: string
  managedKey?: SigningKey
  publicKeys: Buffer[]
  upstream: Set<string>
  /** narId → upload in progress */
  uploads: Map<string, MultipartUpload>
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
  close(): Promise<void>
}

export interface ServerStats {
  requests: number
  faults: number
  completed: number
  /**
   * Narinfos published while a reference of theirs was absent: Cachix accepts them, but each is
   * a closure with a hole, which a correct pusher never creates.
   */
  incompleteClosures: string[]
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

/**
 * A Cachix-compatible server for tests, the demo and benchmarks: the push API of
 * cachix-protocol.md, strict about field names and status codes, and the same caches
 * served as ordinary Nix binary caches under /cache/<name>/.
 */
export async function startCachixServer(options: CachixServerOptions): Promise<RunningCachixServer> {
  const presignSecret = randomBytes(32)
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
      publicKeys: managedKey ? [managedKey.publicKey] : config.publicKey ? [Buffer.from(config.publicKey, 'base64')] : [],
      upstream: new Set(config.upstreamHashes ?? []),
      uploads: new Map()
    })
  }
  let faults = options.faults
  let pickFault = faultPicker(faults)
  const stats: ServerStats = { requests: 0, faults: 0, completed: 0, incompleteClosures: [] }
  const log = options.log ?? (() => undefined)
  let baseUrl = ''

  const server: Server = createServer((req, res) => {
    stats.requests++
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500
      if (!(error instanceof HttpError)) log(`internal error on ${req.method} ${req.url}: ${String(error)}`)
      if (!res.headersSent) {
        res.writeHead(status, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }))
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
    const isApi = segments[0] === 'api' || segments[0] === 'upload'
    if (isApi) {
      const fault = pickFault()
      if (fault.kind !== 'none') stats.faults++
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
          await new Promise(resolve => setTimeout(resolve, fault.ms))
          break
      }
    }
    if (segments[0] === 'api' && segments[1] === 'v1' && segments[2] === 'cache' && segments.length >= 4) {
      return api(req, res, cacheOr404(segments[3]), segments.slice(4), url)
    }
    if (segments[0] === 'upload' && segments.length === 4) return putPart(req, res, segments[1], segments[2], Number(segments[3]), url)
    if (segments[0] === 'cache' && segments.length >= 2) return binaryCache(req, res, cacheOr404(segments[1]), segments.slice(2))
    throw new HttpError(404, `no route for ${req.method} ${url.pathname}`)
  }

  function cacheOr404(name: string): CacheState {
    const cache = caches.get(name)
    if (!cache) throw new HttpError(404, `cache ${name} does not exist`)
    return cache
  }

  /** 'none' for anonymous, else the token's permission; an unknown token is a 401. */
  function permission(req: IncomingMessage, cache: CacheState): 'none' | 'read' | 'write' {
    const header = req.headers.authorization ?? ''
    let token = ''
    // HTTP trims header values, so Cachix's anonymous "Bearer " arrives as "Bearer".
    if (/^Bearer(\s|$)/.test(header)) token = header.slice(6).trim()
    else if (header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
      token = decoded.slice(decoded.indexOf(':') + 1)
    } else if (header !== '') throw new HttpError(401, 'unsupported Authorization scheme')
    if (token === '') return 'none'
    if (cache.config.writeTokens?.includes(token)) return 'write'
    if (cache.config.readTokens?.includes(token)) return 'read'
    throw new HttpError(401, 'invalid auth token')
  }

  function requireRead(req: IncomingMessage, cache: CacheState): void {
    if (permission(req, cache) === 'none' && !cache.config.isPublic) throw new HttpError(401, `cache ${cache.config.name} is private`)
  }

  function requireWrite(req: IncomingMessage, cache: CacheState): void {
    const level = permission(req, cache)
    if (level === 'write') return
    // A self-signed cache takes anonymous pushes: the signature checked at completion is the proof.
    if (level === 'none' && cache.config.signing === 'self') return
    throw new HttpError(level === 'none' ? 401 : 403, `no write access to cache ${cache.config.name}`)
  }

  async function api(req: IncomingMessage, res: ServerResponse, cache: CacheState, rest: string[], url: URL): Promise<void> {
    const method = req.method ?? 'GET'
    if (rest.length === 0 && method === 'GET') {
      requireRead(req, cache)
      const level = permission(req, cache)
      const body: BinaryCache = {
        name: cache.config.name,
        uri: `${baseUrl}/cache/${cache.config.name}`,
        isPublic: cache.config.isPublic,
        publicSigningKeys: cache.publicKeys.map(k => publicKeyString(cache.keyName, k)),
        githubUsername: 'local',
        permission: level === 'write' ? 'Write' : 'Read',
        preferredCompressionMethod: cache.config.preferredCompression
      }
      return json(res, body)
    }
    if (rest.length === 1 && rest[0] === 'narinfo' && method === 'POST') {
      requireRead(req, cache)
      const hashes = await readJson(req)
      if (!Array.isArray(hashes) || hashes.some(h => typeof h !== 'string')) throw new HttpError(400, 'expected a JSON array of store hashes')
      const present = await cache.dir.presentHashes(hashes as string[])
      return json(
        res,
        (hashes as string[]).filter(hash => !cache.upstream.has(hash) && !present.has(hash))
      )
    }
    if (rest.length === 1 && rest[0].endsWith('.narinfo') && (method === 'HEAD' || method === 'GET')) {
      requireRead(req, cache)
      const text = await cache.dir.readNarInfo(rest[0].slice(0, -'.narinfo'.length))
      if (text === undefined) throw new HttpError(404, 'no such narinfo')
      res.writeHead(200, { 'Content-Type': 'text/x-nix-narinfo' })
      res.end(method === 'HEAD' ? undefined : text)
      return
    }
    if (rest.length === 1 && rest[0] === 'key' && method === 'POST') {
      if (permission(req, cache) !== 'write') throw new HttpError(401, 'registering a key needs a write token')
      const body = (await readJson(req)) as { publicKey?: unknown }
      if (typeof body.publicKey !== 'string' || Buffer.from(body.publicKey, 'base64').length !== 32) throw new HttpError(400, 'publicKey must be base64 of 32 bytes')
      cache.publicKeys.push(Buffer.from(body.publicKey, 'base64'))
      return noContent(res)
    }
    if (rest[0] === 'multipart-nar' && method === 'POST') {
      requireWrite(req, cache)
      if (rest.length === 1) {
        const compression = url.searchParams.get('compression')
        if (compression !== 'xz' && compression !== 'zst') throw new HttpError(400, `compression must be xz or zst, got ${compression}`)
        req.resume()
        const narId = randomUUID()
        const uploadId = randomBytes(16).toString('hex')
        await mkdir(cache.dir.uploadDir(uploadId), { recursive: true })
        cache.uploads.set(narId, { uploadId, compression, etags: new Map(), sizes: new Map() })
        return json(res, { narId, uploadId })
      }
      const upload = cache.uploads.get(rest[1])
      if (!upload || upload.uploadId !== url.searchParams.get('uploadId')) throw new HttpError(404, 'no such upload')
      if (rest.length === 2) {
        const partNumber = Number(url.searchParams.get('partNumber'))
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) throw new HttpError(400, 'partNumber must be an integer from 1 to 10000')
        const body = (await readJson(req)) as { contentMD5?: unknown }
        if (typeof body.contentMD5 !== 'string' || Buffer.from(body.contentMD5, 'base64').length !== 16) throw new HttpError(400, 'contentMD5 must be base64 of an MD5 digest')
        const signature = presign(cache.config.name, upload.uploadId, partNumber, body.contentMD5)
        const uploadUrl = `${baseUrl}/upload/${encodeURIComponent(cache.config.name)}/${upload.uploadId}/${partNumber}?md5=${encodeURIComponent(body.contentMD5)}&signature=${signature}`
        return json(res, { uploadUrl })
      }
      if (rest.length === 3 && rest[2] === 'complete') {
        const body = (await readJson(req)) as CompleteMultipartRequest
        await complete(cache, rest[1], upload, body)
        return noContent(res)
      }
      if (rest.length === 3 && rest[2] === 'abort') {
        req.resume()
        cache.uploads.delete(rest[1])
        await cache.dir.removeUpload(upload.uploadId)
        return noContent(res)
      }
    }
    throw new HttpError(404, `no API route for ${method} ${url.pathname}`)
  }

  function presign(cacheName: string, uploadId: string, partNumber: number, md5: string): string {
    return createHmac('sha256', presignSecret).update(`${cacheName}\n${uploadId}\n${partNumber}\n${md5}`).digest('hex')
  }

  async function putPart(req: IncomingMessage, res: ServerResponse, cacheName: string, uploadId: string, partNumber: number, url: URL): Promise<void> {
    if (req.method !== 'PUT') throw new HttpError(405, 'parts are uploaded with PUT')
    const md5 = url.searchParams.get('md5') ?? ''
    if (url.searchParams.get('signature') !== presign(cacheName, uploadId, partNumber, md5)) throw new HttpError(403, 'the presigned URL does not verify')
    if (req.headers['content-md5'] !== md5) throw new HttpError(400, 'Content-MD5 header differs from the presigned one')
    if (req.headers['content-type'] !== 'application/octet-stream') throw new HttpError(400, 'Content-Type must be application/octet-stream')
    if (req.headers.authorization !== undefined) throw new HttpError(400, 'presigned uploads take no Authorization header')
    const cache = cacheOr404(cacheName)
    const upload = [...cache.uploads.values()].find(u => u.uploadId === uploadId)
    if (!upload) throw new HttpError(404, 'no such upload')
    if (faults?.failPartsFrom !== undefined && partNumber >= faults.failPartsFrom) {
      stats.faults++
      req.resume()
      throw new HttpError(faults.failPartsStatus ?? 500, `injected fault: part ${partNumber} always fails`)
    }
    if (faults?.slowFirstPartMs !== undefined && partNumber === 1) await new Promise(resolve => setTimeout(resolve, faults?.slowFirstPartMs))
    const hasher = createHash('md5')
    let size = 0
    req.on('data', (chunk: Buffer) => {
      hasher.update(chunk)
      size += chunk.length
    })
    const target = cache.dir.partPath(uploadId, partNumber)
    await pipeline(req, createWriteStream(`${target}.partial`))
    const digest = hasher.digest()
    if (digest.toString('base64') !== md5) {
      await rm(`${target}.partial`, { force: true })
      throw new HttpError(400, 'the body does not match Content-MD5')
    }
    await rename(`${target}.partial`, target)
    const eTag = `"${digest.toString('hex')}"`
    upload.etags.set(partNumber, eTag)
    upload.sizes.set(partNumber, size)
    res.writeHead(200, { ETag: eTag })
    res.end()
  }

  async function complete(cache: CacheState, narId: string, upload: MultipartUpload, body: CompleteMultipartRequest): Promise<void> {
    const info = body?.narInfoCreate
    validateNarInfoCreate(info)
    let partNumbers: number[]
    if (body.parts === null) partNumbers = [...upload.etags.keys()].sort((a, b) => a - b)
    else {
      if (!Array.isArray(body.parts) || body.parts.length === 0) throw new HttpError(400, 'parts must be a non-empty array or null')
      partNumbers = body.parts.map(p => p.partNumber)
      for (const [i, part] of body.parts.entries()) {
        if (part.partNumber !== i + 1) throw new HttpError(400, 'parts must be numbered 1, 2, … in order')
        if (upload.etags.get(part.partNumber) !== part.eTag) throw new HttpError(400, `ETag of part ${part.partNumber} does not match what was uploaded`)
      }
    }
    if (partNumbers.length === 0) throw new HttpError(400, 'no parts were uploaded')
    // Cachix's client cuts the stream into equal parts; object storage refuses small ones but the last.
    const firstSize = upload.sizes.get(partNumbers[0]) ?? 0
    for (const number of partNumbers.slice(0, -1)) {
      const size = upload.sizes.get(number) ?? 0
      if (size < MIN_PART_BYTES) throw new HttpError(400, `EntityTooSmall: part ${number} has ${size} bytes; every part but the last needs at least ${MIN_PART_BYTES}`)
      if (size !== firstSize) throw new HttpError(400, `part ${number} has ${size} bytes, part ${partNumbers[0]} ${firstSize}: every part but the last must have the same size`)
    }
    const concatenated = await cache.dir.concatenate(upload.uploadId, partNumbers)
    try {
      if (concatenated.size !== info.cFileSize) throw new HttpError(400, `cFileSize ${info.cFileSize} differs from the uploaded ${concatenated.size} bytes`)
      if (concatenated.sha256 !== info.cFileHash) throw new HttpError(400, 'cFileHash differs from the sha256 of the uploaded bytes')
      if (options.verifyNars !== false) await verifyNar(concatenated.temp, upload.compression, info)
      const storePath = `${STORE_DIR}/${info.cStoreHash}-${info.cStoreSuffix}`
      const fp = fingerprint(storePath, info.cNarHash, info.cNarSize, info.cReferences)
      const sigs: string[] = []
      if (info.cSig !== null) {
        if (!cache.publicKeys.some(k => verifyFingerprint(k, fp, info.cSig as string))) throw new HttpError(400, 'cSig does not verify against any signing key of this cache')
        sigs.push(`${cache.keyName}:${info.cSig}`)
      } else if (cache.config.signing === 'self') throw new HttpError(400, 'this cache is self-signed: cSig is required')
      if (cache.managedKey && info.cSig === null) sigs.push(`${cache.keyName}:${signFingerprint(cache.managedKey, fp)}`)
      // Cachix never overwrites an existing entry.
      if (await cache.dir.hasNarInfo(info.cStoreHash)) return
      const extension = upload.compression === 'zst' ? 'zst' : 'xz'
      const fileName = `${info.cFileHash}.nar.${extension}`
      await cache.dir.moveInto(concatenated.temp, cache.dir.narPath(fileName))
      const narinfo = renderNarInfo({
        storePath,
        url: `nar/${fileName}`,
        compression: upload.compression === 'zst' ? 'zstd' : 'xz',
        fileHash: `sha256:${info.cFileHash}`,
        fileSize: info.cFileSize,
        narHash: info.cNarHash,
        narSize: info.cNarSize,
        references: info.cReferences,
        deriver: info.cDeriver,
        sigs
      })
      for (const reference of info.cReferences) {
        const { hash } = parseBaseName(reference)
        if (hash !== info.cStoreHash && !(await cache.dir.hasNarInfo(hash))) stats.incompleteClosures.push(`${storePath} was published before its reference ${reference}`)
      }
      // The NAR is in place before its narinfo exists, so no reader sees a narinfo without a NAR.
      await cache.dir.writeAtomically(cache.dir.narInfoPath(info.cStoreHash), narinfo)
      stats.completed++
      cache.uploads.delete(narId)
      await cache.dir.removeUpload(upload.uploadId)
    } finally {
      await rm(concatenated.temp, { force: true })
    }
  }

  async function verifyNar(file: string, compression: 'xz' | 'zst', info: NarInfoCreate): Promise<void> {
    const child = spawn(compression === 'zst' ? 'zstd' : 'xz', ['-d', '-c'], { stdio: ['pipe', 'pipe', 'ignore'] })
    const hasher = createHash('sha256')
    let size = 0
    child.stdout.on('data', (chunk: Buffer) => {
      hasher.update(chunk)
      size += chunk.length
    })
    const exited = new Promise<number>(resolve => child.on('close', code => resolve(code ?? 1)))
    await pipeline(createReadStream(file), child.stdin).catch(() => undefined)
    if ((await exited) !== 0) throw new HttpError(400, `the upload is not valid ${compression} data`)
    if (size !== info.cNarSize) throw new HttpError(400, `cNarSize ${info.cNarSize} differs from the decompressed ${size} bytes`)
    if (toNixHash(hasher.digest()) !== info.cNarHash) throw new HttpError(400, 'cNarHash differs from the hash of the decompressed NAR')
  }

  async function binaryCache(req: IncomingMessage, res: ServerResponse, cache: CacheState, rest: string[]): Promise<void> {
    const method = req.method ?? 'GET'
    const name = rest.join('/')
    if (method === 'PUT') return plainUpload(req, res, cache, rest)
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'binary caches are read with GET and HEAD')
    requireRead(req, cache)
    if (name === 'nix-cache-info') {
      res.writeHead(200, { 'Content-Type': 'text/x-nix-cache-info' })
      res.end(method === 'HEAD' ? undefined : `StoreDir: ${STORE_DIR}\nWantMassQuery: 1\nPriority: 41\n`)
      return
    }
    if (rest.length === 1 && name.endsWith('.narinfo')) {
      const text = await cache.dir.readNarInfo(name.slice(0, -'.narinfo'.length))
      if (text === undefined) throw new HttpError(404, 'no such narinfo')
      res.writeHead(200, { 'Content-Type': 'text/x-nix-narinfo' })
      res.end(method === 'HEAD' ? undefined : text)
      return
    }
    if (rest.length === 2 && rest[0] === 'nar' && /^[0-9a-z]+\.nar(\.[a-z]+)?$/.test(rest[1])) {
      const path = cache.dir.narPath(rest[1])
      const size = await stat(path).then(
        s => s.size,
        () => undefined
      )
      if (size === undefined) throw new HttpError(404, 'no such NAR')
      res.writeHead(200, { 'Content-Type': 'application/x-nix-nar', 'Content-Length': size })
      if (method === 'HEAD') res.end()
      else await pipeline(createReadStream(path), res)
      return
    }
    throw new HttpError(404, `nothing at ${name}`)
  }

  /** What `nix copy --to http://…` sends: PUT nar/<file> then PUT <hash>.narinfo. */
  async function plainUpload(req: IncomingMessage, res: ServerResponse, cache: CacheState, rest: string[]): Promise<void> {
    requireWrite(req, cache)
    const name = rest.join('/')
    if (rest.length === 2 && rest[0] === 'nar' && /^[0-9a-z]+\.nar(\.[a-z]+)?$/.test(rest[1])) {
      await cache.dir.writeAtomically(cache.dir.narPath(rest[1]), req)
    } else if (rest.length === 1 && name.endsWith('.narinfo')) {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const text = Buffer.concat(chunks).toString('utf8')
      const info = parseNarInfo(text)
      const hash = name.slice(0, -'.narinfo'.length)
      if (parseBaseName(info.storePath.slice(STORE_DIR.length + 1)).hash !== hash) throw new HttpError(400, 'narinfo name and StorePath differ')
      const narExists = await stat(join(cache.dir.root, info.url)).then(
        () => true,
        () => false
      )
      if (!narExists) throw new HttpError(400, `narinfo points at ${info.url}, which was not uploaded`)
      if (!(await cache.dir.hasNarInfo(hash))) await cache.dir.writeAtomically(cache.dir.narInfoPath(hash), text)
      stats.completed++
    } else {
      // Listings, logs and debug info: accepted and dropped.
      req.resume()
    }
    res.writeHead(200)
    res.end()
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${address.port}`
  server.keepAliveTimeout = 30_000

  return {
    url: baseUrl,
    cacheUrl: name => `${baseUrl}/cache/${name}`,
    publicKeys: name => {
      const cache = cacheOr404(name)
      return cache.publicKeys.map(k => publicKeyString(cache.keyName, k))
    },
    stats,
    setFaults: config => {
      faults = config
      pickFault = faultPicker(config)
    },
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

function validateNarInfoCreate(info: NarInfoCreate | undefined): asserts info is NarInfoCreate {
  if (!info || typeof info !== 'object') throw new HttpError(400, 'narInfoCreate is required')
  const strings = ['cStoreHash', 'cStoreSuffix', 'cNarHash', 'cFileHash', 'cDeriver'] as const
  for (const field of strings) if (typeof info[field] !== 'string') throw new HttpError(400, `narInfoCreate.${field} must be a string`)
  for (const field of ['cNarSize', 'cFileSize'] as const) {
    if (!Number.isSafeInteger(info[field]) || info[field] <= 0) throw new HttpError(400, `narInfoCreate.${field} must be a positive integer`)
  }
  if (!Array.isArray(info.cReferences) || info.cReferences.some(r => typeof r !== 'string')) throw new HttpError(400, 'narInfoCreate.cReferences must be an array of strings')
  if (!('cSig' in info) || (info.cSig !== null && typeof info.cSig !== 'string')) throw new HttpError(400, 'narInfoCreate.cSig must be a string or null')
  try {
    parseBaseName(`${info.cStoreHash}-${info.cStoreSuffix}`)
    for (const reference of info.cReferences) parseBaseName(reference)
    if (!info.cNarHash.startsWith('sha256:')) throw new Error('cNarHash must start with sha256:')
    parseSha256(info.cNarHash)
  } catch (error: unknown) {
    throw new HttpError(400, error instanceof Error ? error.message : String(error))
  }
  if (!/^[0-9a-f]{64}$/.test(info.cFileHash)) throw new HttpError(400, 'narInfoCreate.cFileHash must be 64 lowercase hex digits')
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8' })
  res.end(JSON.stringify(body))
}

function noContent(res: ServerResponse): void {
  res.writeHead(200)
  res.end()
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpError(400, 'the body is not JSON')
  }
}
