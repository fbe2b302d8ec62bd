import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// A child entry: an upload target that stores and verifies nothing, so a push is measured
// without any server's cost. It speaks both what our pusher sends (the Cachix API, every
// path reported missing) and what `nix copy --to http://` sends (a plain binary cache that
// has nothing), and counts what arrived so the bench can check that each push was complete.

interface Counts {
  /** Cachix uploads completed, and plain narinfo PUTs. */
  completed: number
  narinfoPuts: number
  aborted: number
  /** Bytes of parts and NAR files received. */
  bytes: number
  requests: number
}

const counts = new Map<string, Counts>()
function countsOf(cache: string): Counts {
  let c = counts.get(cache)
  if (!c) {
    c = { completed: 0, narinfoPuts: 0, aborted: 0, bytes: 0, requests: 0 }
    counts.set(cache, c)
  }
  return c
}

let nextId = 0

function drain(req: IncomingMessage, c: Counts): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const small: Buffer[] = []
    let kept = 0
    req.on('data', (chunk: Buffer) => {
      c.bytes += chunk.length
      // Only small JSON bodies are kept (the missing-paths query); upload bytes are dropped.
      if (kept < 4 * 1024 * 1024) {
        small.push(chunk)
        kept += chunk.length
      }
    })
    req.once('end', () => resolve(small))
    req.once('error', reject)
  })
}

function reply(
  res: ServerResponse,
  status: number,
  body = '',
  type = 'application/json',
  extra: Record<string, string> = {}
): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra })
  res.end(body)
}

async function handle(req: IncomingMessage, res: ServerResponse, base: () => string): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const s = url.pathname
    .split('/')
    .filter(p => p !== '')
    .map(decodeURIComponent)
  const method = req.method ?? 'GET'
  if (s[0] === 'stats') {
    await drain(req, countsOf('_'))
    reply(res, 200, JSON.stringify(Object.fromEntries(counts)))
    return
  }
  if (s[0] === 'api' && s[1] === 'v1' && s[2] === 'cache' && s.length >= 4) {
    const cache = s[3]
    const c = countsOf(cache)
    c.requests++
    const rest = s.slice(4)
    const body = await drain(req, c)
    if (rest.length === 0 && method === 'GET') {
      const info = {
        name: cache,
        uri: `${base()}/cache/${cache}`,
        isPublic: true,
        publicSigningKeys: [],
        githubUsername: 'bench',
        permission: 'Write',
        preferredCompressionMethod: 'ZSTD'
      }
      return reply(res, 200, JSON.stringify(info))
    }
    if (rest.length === 1 && rest[0] === 'narinfo' && method === 'POST')
      return reply(res, 200, Buffer.concat(body).toString('utf8'))
    if (rest.length === 1 && rest[0].endsWith('.narinfo')) return reply(res, 404, 'not found', 'text/plain')
    if (rest[0] === 'multipart-nar' && method === 'POST') {
      if (rest.length === 1) {
        nextId++
        return reply(res, 200, JSON.stringify({ narId: `nar-${nextId}`, uploadId: `upload-${nextId}` }))
      }
      if (rest.length === 2) {
        const part = url.searchParams.get('partNumber') ?? '0'
        return reply(
          res,
          200,
          JSON.stringify({
            uploadUrl: `${base()}/upload/${encodeURIComponent(cache)}/${encodeURIComponent(rest[1])}/${part}`
          })
        )
      }
      if (rest.length === 3 && rest[2] === 'complete') {
        c.completed++
        return reply(res, 200)
      }
      if (rest.length === 3 && rest[2] === 'abort') {
        c.aborted++
        return reply(res, 200)
      }
    }
    return reply(res, 404, 'no such route', 'text/plain')
  }
  if (s[0] === 'upload' && s.length === 4 && method === 'PUT') {
    const c = countsOf(s[1])
    c.requests++
    await drain(req, c)
    return reply(res, 200, '', 'text/plain', { ETag: `"${s[2]}-${s[3]}"` })
  }
  if (s[0] === 'cache' && s.length >= 2) {
    const c = countsOf(s[1])
    c.requests++
    await drain(req, c)
    const name = s.slice(2).join('/')
    if (method === 'PUT') {
      if (name.endsWith('.narinfo')) c.narinfoPuts++
      return reply(res, 200, '', 'text/plain')
    }
    if (name === 'nix-cache-info')
      return reply(
        res,
        200,
        method === 'HEAD' ? '' : 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 41\n',
        'text/x-nix-cache-info'
      )
    return reply(res, 404, '', 'text/plain')
  }
  await drain(req, countsOf('_'))
  reply(res, 404, 'no such route', 'text/plain')
}

let baseUrl = ''
const server = createServer((req, res) => {
  handle(req, res, () => baseUrl).catch((error: unknown) => {
    if (!res.headersSent) reply(res, 500, String(error), 'text/plain')
    else res.destroy()
  })
})
server.keepAliveTimeout = 60_000
await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
process.stdout.write(`${JSON.stringify({ url: baseUrl })}\n`)

// The parent holds our stdin: when it closes (also when the parent dies) the server goes too.
await new Promise<void>(resolve => {
  process.stdin.once('end', resolve)
  process.once('SIGTERM', resolve)
  process.stdin.resume()
})
server.closeAllConnections()
server.close()
process.exit(0)
