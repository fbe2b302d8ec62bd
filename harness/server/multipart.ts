/** The multipart NAR upload of cachix-protocol.md: create, presigned part URLs, part PUTs, completion and abort. */
import { spawn } from 'node:child_process'
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import type { CompleteMultipartRequest, NarInfoCreate } from '../../src/cachix/types.js'
import { parseSha256, toNixHash } from '../../src/nix/format/hash.js'
import { fingerprint, renderNarInfo } from '../../src/nix/format/narinfo.js'
import { signFingerprint, verifyFingerprint } from '../../src/nix/format/signing.js'
import { STORE_DIR, parseBaseName } from '../../src/nix/format/store-path.js'
import type { CacheState, MultipartUpload, ServerContext } from './context.js'
import { HttpError, json, noContent, readJson } from './http.js'
import { errorMessage } from '../../src/util/errors.js'

/** S3 refuses a multipart completion whose parts but the last are smaller than this. */
const MIN_PART_BYTES = 5 * 1024 * 1024

/** An upload found by its narId and uploadId: what the part URL, completion and abort work on. */
interface OpenUpload {
  cache: CacheState
  narId: string
  upload: MultipartUpload
}

/** The multipart upload routes of one server. */
export type MultipartUploads = ReturnType<typeof multipartUploads>

export function multipartUploads(ctx: ServerContext) {
  // Per server, so a part URL presigned by one run never verifies in another.
  const presignSecret = randomBytes(32)

  function presign(cacheName: string, uploadId: string, partNumber: number, md5: string): string {
    return createHmac('sha256', presignSecret).update(`${cacheName}\n${uploadId}\n${partNumber}\n${md5}`).digest('hex')
  }

  /** POST …/multipart-nar?compression=xz|zst */
  async function create(req: IncomingMessage, res: ServerResponse, cache: CacheState, url: URL): Promise<void> {
    const compression = url.searchParams.get('compression')
    if (compression !== 'xz' && compression !== 'zst')
      throw new HttpError(400, `compression must be xz or zst, got ${compression}`)
    req.resume()
    const narId = randomUUID()
    const uploadId = randomBytes(16).toString('hex')
    await mkdir(cache.dir.uploadDir(uploadId), { recursive: true })
    cache.uploads.set(narId, { uploadId, compression, etags: new Map(), sizes: new Map() })
    return json(res, { narId, uploadId })
  }

  /** The upload `narId` names, or an HTTP 404 when there is none or `uploadId` is not its id. */
  function find(cache: CacheState, narId: string, uploadId: string | null): OpenUpload {
    const upload = cache.uploads.get(narId)
    if (!upload || upload.uploadId !== uploadId) throw new HttpError(404, 'no such upload')
    return { cache, narId, upload }
  }

  /** POST …/multipart-nar/<narId>?uploadId=&partNumber= */
  async function partUrl(
    req: IncomingMessage,
    res: ServerResponse,
    { cache, upload }: OpenUpload,
    url: URL
  ): Promise<void> {
    const partNumber = Number(url.searchParams.get('partNumber'))
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000)
      throw new HttpError(400, 'partNumber must be an integer from 1 to 10000')
    const body = (await readJson(req)) as { contentMD5?: unknown }
    if (typeof body.contentMD5 !== 'string' || Buffer.from(body.contentMD5, 'base64').length !== 16)
      throw new HttpError(400, 'contentMD5 must be base64 of an MD5 digest')
    const signature = presign(cache.config.name, upload.uploadId, partNumber, body.contentMD5)
    const uploadUrl = `${ctx.baseUrl}/upload/${encodeURIComponent(cache.config.name)}/${upload.uploadId}/${partNumber}?md5=${encodeURIComponent(body.contentMD5)}&signature=${signature}`
    return json(res, { uploadUrl })
  }

  /** PUT /upload/<cache>/<uploadId>/<partNumber>, the presigned URL. */
  async function putPart(
    req: IncomingMessage,
    res: ServerResponse,
    cacheName: string,
    uploadId: string,
    partNumber: number,
    url: URL
  ): Promise<void> {
    if (req.method !== 'PUT') throw new HttpError(405, 'parts are uploaded with PUT')
    const md5 = url.searchParams.get('md5') ?? ''
    if (url.searchParams.get('signature') !== presign(cacheName, uploadId, partNumber, md5))
      throw new HttpError(403, 'the presigned URL does not verify')
    if (req.headers['content-md5'] !== md5)
      throw new HttpError(400, 'Content-MD5 header differs from the presigned one')
    if (req.headers['content-type'] !== 'application/octet-stream')
      throw new HttpError(400, 'Content-Type must be application/octet-stream')
    if (req.headers.authorization !== undefined)
      throw new HttpError(400, 'presigned uploads take no Authorization header')
    const cache = ctx.cacheOr404(cacheName)
    const upload = [...cache.uploads.values()].find(u => u.uploadId === uploadId)
    if (!upload) throw new HttpError(404, 'no such upload')
    const faults = ctx.faults
    if (faults?.failPartsFrom !== undefined && partNumber >= faults.failPartsFrom) {
      ctx.stats.faults++
      req.resume()
      throw new HttpError(faults.failPartsStatus ?? 500, `injected fault: part ${partNumber} always fails`)
    }
    if (faults?.slowFirstPartMs !== undefined && partNumber === 1)
      await new Promise(resolve => setTimeout(resolve, faults?.slowFirstPartMs))
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

  /** POST …/multipart-nar/<narId>/complete */
  async function complete(req: IncomingMessage, res: ServerResponse, open: OpenUpload): Promise<void> {
    const body = (await readJson(req)) as CompleteMultipartRequest
    await publish(open, body)
    return noContent(res)
  }

  async function publish({ cache, narId, upload }: OpenUpload, body: CompleteMultipartRequest): Promise<void> {
    const info = body?.narInfoCreate
    validateNarInfoCreate(info)
    let partNumbers: number[]
    if (body.parts === null) partNumbers = [...upload.etags.keys()].sort((a, b) => a - b)
    else {
      if (!Array.isArray(body.parts) || body.parts.length === 0)
        throw new HttpError(400, 'parts must be a non-empty array or null')
      partNumbers = body.parts.map(p => p.partNumber)
      for (const [i, part] of body.parts.entries()) {
        if (part.partNumber !== i + 1) throw new HttpError(400, 'parts must be numbered 1, 2, … in order')
        if (upload.etags.get(part.partNumber) !== part.eTag)
          throw new HttpError(400, `ETag of part ${part.partNumber} does not match what was uploaded`)
      }
    }
    if (partNumbers.length === 0) throw new HttpError(400, 'no parts were uploaded')
    // Cachix's client cuts the stream into equal parts; object storage refuses small ones but the last.
    const firstSize = upload.sizes.get(partNumbers[0]) ?? 0
    for (const number of partNumbers.slice(0, -1)) {
      const size = upload.sizes.get(number) ?? 0
      if (size < MIN_PART_BYTES)
        throw new HttpError(
          400,
          `EntityTooSmall: part ${number} has ${size} bytes; every part but the last needs at least ${MIN_PART_BYTES}`
        )
      if (size !== firstSize)
        throw new HttpError(
          400,
          `part ${number} has ${size} bytes, part ${partNumbers[0]} ${firstSize}: every part but the last must have the same size`
        )
    }
    const file = await cache.dir.hashParts(upload.uploadId, partNumbers)
    if (file.size !== info.cFileSize)
      throw new HttpError(400, `cFileSize ${info.cFileSize} differs from the uploaded ${file.size} bytes`)
    if (file.sha256 !== info.cFileHash)
      throw new HttpError(400, 'cFileHash differs from the sha256 of the uploaded bytes')
    if (ctx.verifyNars) await verifyNar(cache.dir.readParts(upload.uploadId, partNumbers), upload.compression, info)
    const storePath = `${STORE_DIR}/${info.cStoreHash}-${info.cStoreSuffix}`
    const fp = fingerprint(storePath, info.cNarHash, info.cNarSize, info.cReferences)
    const sigs: string[] = []
    if (info.cSig !== null) {
      if (!cache.publicKeys.some(k => verifyFingerprint(k, fp, info.cSig as string)))
        throw new HttpError(400, 'cSig does not verify against any signing key of this cache')
      sigs.push(`${cache.keyName}:${info.cSig}`)
    } else if (cache.config.signing === 'self') throw new HttpError(400, 'this cache is self-signed: cSig is required')
    if (cache.managedKey && info.cSig === null) sigs.push(`${cache.keyName}:${signFingerprint(cache.managedKey, fp)}`)
    // Cachix never overwrites an existing entry.
    if (await cache.dir.hasNarInfo(info.cStoreHash)) return
    const extension = upload.compression === 'zst' ? 'zst' : 'xz'
    const fileName = `${info.cFileHash}.nar.${extension}`
    await cache.dir.assembleParts(upload.uploadId, partNumbers, cache.dir.narPath(fileName))
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
    // A reference present upstream is no hole: Nix substitutes it from the upstream.
    const absent: string[] = []
    for (const reference of info.cReferences) {
      const { hash } = parseBaseName(reference)
      if (hash !== info.cStoreHash && !(await cache.dir.hasNarInfo(hash))) absent.push(reference)
    }
    const upstream = await cache.upstream.has(absent.map(reference => parseBaseName(reference).hash))
    for (const reference of absent)
      if (!upstream.has(parseBaseName(reference).hash))
        ctx.stats.incompleteClosures.push(`${storePath} was published before its reference ${reference}`)
    // The NAR is in place before its narinfo exists, so no reader sees a narinfo without a NAR.
    await cache.dir.writeAtomically(cache.dir.narInfoPath(info.cStoreHash), narinfo)
    ctx.stats.completed++
    cache.uploads.delete(narId)
    await cache.dir.removeUpload(upload.uploadId)
  }

  /** POST …/multipart-nar/<narId>/abort */
  async function abort(req: IncomingMessage, res: ServerResponse, { cache, narId, upload }: OpenUpload): Promise<void> {
    req.resume()
    cache.uploads.delete(narId)
    await cache.dir.removeUpload(upload.uploadId)
    return noContent(res)
  }

  return { create, find, partUrl, putPart, complete, abort }
}

async function verifyNar(file: AsyncIterable<Buffer>, compression: 'xz' | 'zst', info: NarInfoCreate): Promise<void> {
  const child = spawn(compression === 'zst' ? 'zstd' : 'xz', ['-d', '-c'], { stdio: ['pipe', 'pipe', 'ignore'] })
  const hasher = createHash('sha256')
  let size = 0
  child.stdout.on('data', (chunk: Buffer) => {
    hasher.update(chunk)
    size += chunk.length
  })
  const exited = new Promise<number>(resolve => child.on('close', code => resolve(code ?? 1)))
  await pipeline(file, child.stdin).catch(() => undefined)
  if ((await exited) !== 0) throw new HttpError(400, `the upload is not valid ${compression} data`)
  if (size !== info.cNarSize)
    throw new HttpError(400, `cNarSize ${info.cNarSize} differs from the decompressed ${size} bytes`)
  if (toNixHash(hasher.digest()) !== info.cNarHash)
    throw new HttpError(400, 'cNarHash differs from the hash of the decompressed NAR')
}

export function validateNarInfoCreate(info: NarInfoCreate | undefined): asserts info is NarInfoCreate {
  if (!info || typeof info !== 'object') throw new HttpError(400, 'narInfoCreate is required')
  const strings = ['cStoreHash', 'cStoreSuffix', 'cNarHash', 'cFileHash', 'cDeriver'] as const
  for (const field of strings)
    if (typeof info[field] !== 'string') throw new HttpError(400, `narInfoCreate.${field} must be a string`)
  for (const field of ['cNarSize', 'cFileSize'] as const) {
    if (!Number.isSafeInteger(info[field]) || info[field] <= 0)
      throw new HttpError(400, `narInfoCreate.${field} must be a positive integer`)
  }
  if (!Array.isArray(info.cReferences) || info.cReferences.some(r => typeof r !== 'string'))
    throw new HttpError(400, 'narInfoCreate.cReferences must be an array of strings')
  if (!('cSig' in info) || (info.cSig !== null && typeof info.cSig !== 'string'))
    throw new HttpError(400, 'narInfoCreate.cSig must be a string or null')
  try {
    parseBaseName(`${info.cStoreHash}-${info.cStoreSuffix}`)
    for (const reference of info.cReferences) parseBaseName(reference)
    if (!info.cNarHash.startsWith('sha256:')) throw new Error('cNarHash must start with sha256:')
    parseSha256(info.cNarHash)
  } catch (error: unknown) {
    throw new HttpError(400, errorMessage(error))
  }
  if (!/^[0-9a-f]{64}$/.test(info.cFileHash))
    throw new HttpError(400, 'narInfoCreate.cFileHash must be 64 lowercase hex digits')
}
