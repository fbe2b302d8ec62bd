/** Each cache as an ordinary Nix binary cache under /cache/<name>/, read by substituters and written by `nix copy`. */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseNarInfo } from '../../src/nix/format/narinfo.js'
import { STORE_DIR, parseBaseName } from '../../src/nix/format/store-path.js'
import { requireRead, requireWrite } from './auth.js'
import type { CacheState, ServerContext } from './context.js'
import { HttpError } from './http.js'
import { exists } from '../../src/util/fs.js'

export async function binaryCache(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  cache: CacheState,
  rest: string[]
): Promise<void> {
  const method = req.method ?? 'GET'
  const name = rest.join('/')
  if (method === 'PUT') {
    await plainUpload(ctx, req, cache, rest)
    res.writeHead(200)
    res.end()
    return
  }
  if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'binary caches are read with GET and HEAD')
  requireRead(req, cache)
  if (name === 'nix-cache-info') {
    res.writeHead(200, { 'Content-Type': 'text/x-nix-cache-info' })
    res.end(method === 'HEAD' ? undefined : `StoreDir: ${STORE_DIR}\nWantMassQuery: 1\nPriority: 41\n`)
    return
  }
  // Only what was pushed: Nix substitutes an upstream path from the upstream itself.
  if (rest.length === 1 && name.endsWith('.narinfo')) return serveNarInfo(res, cache, name, method)
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

/** A pushed narinfo (`name` is <hash>.narinfo), as the binary cache and the Cachix API both serve it; 404 for any other path. */
export async function serveNarInfo(
  res: ServerResponse,
  cache: CacheState,
  name: string,
  method: string
): Promise<void> {
  const text = await cache.dir.readNarInfo(name.slice(0, -'.narinfo'.length))
  if (text === undefined) throw new HttpError(404, 'no such narinfo')
  res.writeHead(200, { 'Content-Type': 'text/x-nix-narinfo' })
  res.end(method === 'HEAD' ? undefined : text)
}

/** What `nix copy --to http://…` sends: PUT nar/<file> then PUT <hash>.narinfo. */
async function plainUpload(ctx: ServerContext, req: IncomingMessage, cache: CacheState, rest: string[]): Promise<void> {
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
    if (parseBaseName(info.storePath.slice(STORE_DIR.length + 1)).hash !== hash)
      throw new HttpError(400, 'narinfo name and StorePath differ')
    if (!(await exists(join(cache.dir.root, info.url))))
      throw new HttpError(400, `narinfo points at ${info.url}, which was not uploaded`)
    if (!(await cache.dir.hasNarInfo(hash))) await cache.dir.writeAtomically(cache.dir.narInfoPath(hash), text)
    ctx.stats.completed++
  } else {
    // Listings, logs and debug info: accepted and dropped.
    req.resume()
  }
}
