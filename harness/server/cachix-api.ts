/** The Cachix push API under /api/v1/cache/<name>/: cache info, missing-path queries, narinfos, keys and multipart uploads. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BinaryCache } from '../../src/cachix/types.js'
import { publicKeyString } from '../../src/nix/format/signing.js'
import { permission, requireRead, requireWrite } from './auth.js'
import type { CacheState, ServerContext } from './context.js'
import { HttpError, json, noContent, readJson } from './http.js'
import type { MultipartUploads } from './multipart.js'
import { serveNarInfo } from './binary-cache.js'

export type CachixApi = (
  req: IncomingMessage,
  res: ServerResponse,
  cache: CacheState,
  rest: string[],
  url: URL
) => Promise<void>

export function cachixApi(ctx: ServerContext, uploads: MultipartUploads): CachixApi {
  return async (req, res, cache, rest, url) => {
    const method = req.method ?? 'GET'
    if (rest.length === 0 && method === 'GET') {
      requireRead(req, cache)
      const level = permission(req, cache)
      const body: BinaryCache = {
        name: cache.config.name,
        uri: `${ctx.baseUrl}/cache/${cache.config.name}`,
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
      if (!Array.isArray(hashes) || hashes.some(h => typeof h !== 'string'))
        throw new HttpError(400, 'expected a JSON array of store hashes')
      const present = await cache.dir.presentHashes(hashes as string[])
      const upstream = await cache.upstream.has((hashes as string[]).filter(hash => !present.has(hash)))
      return json(
        res,
        (hashes as string[]).filter(hash => !upstream.has(hash) && !present.has(hash))
      )
    }
    // Only what was pushed: an upstream path is a 404 here, as on cachix.org.
    if (rest.length === 1 && rest[0].endsWith('.narinfo') && (method === 'HEAD' || method === 'GET')) {
      requireRead(req, cache)
      return serveNarInfo(res, cache, rest[0], method)
    }
    if (rest.length === 1 && rest[0] === 'key' && method === 'POST') {
      if (permission(req, cache) !== 'write') throw new HttpError(401, 'registering a key needs a write token')
      const body = (await readJson(req)) as { publicKey?: unknown }
      if (typeof body.publicKey !== 'string' || Buffer.from(body.publicKey, 'base64').length !== 32)
        throw new HttpError(400, 'publicKey must be base64 of 32 bytes')
      cache.publicKeys.push(Buffer.from(body.publicKey, 'base64'))
      return noContent(res)
    }
    if (rest[0] === 'multipart-nar' && method === 'POST') {
      requireWrite(req, cache)
      if (rest.length === 1) return uploads.create(req, res, cache, url)
      const open = uploads.find(cache, rest[1], url.searchParams.get('uploadId'))
      if (rest.length === 2) return uploads.partUrl(req, res, open, url)
      if (rest.length === 3 && rest[2] === 'complete') return uploads.complete(req, res, open)
      if (rest.length === 3 && rest[2] === 'abort') return uploads.abort(req, res, open)
    }
    throw new HttpError(404, `no API route for ${method} ${url.pathname}`)
  }
}
