import type * as Http from 'node:http'
import type * as Https from 'node:https'
import { createRequire } from 'node:module'

// Loaded as CommonJS, as the bundles in dist/ load them: importing node:http as an ES module
// reads every one of its exports, and its lazy WebSocket, CloseEvent and MessageEvent load
// undici, about 14 MiB of memory that nothing here uses.
const load = createRequire(import.meta.url)
const { Agent: HttpAgent, request: httpRequest } = load('node:http') as typeof Http
const { Agent: HttpsAgent, request: httpsRequest } = load('node:https') as typeof Https

export interface HttpResponse {
  status: number
  header: (name: string) => string | undefined
  body: Buffer
}

// Kept-alive connections: an upload is several small API calls plus one PUT per part.
const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 32 }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: 32 })
}

/** A request body: text, bytes, or pieces of bytes sent one after another (a part made of frames). */
export type HttpBody = string | Buffer | readonly Buffer[]

/**
 * One HTTP exchange with node:http. Unlike fetch, Buffer bodies are written as they are, not
 * copied first, which matters for multi-MiB parts.
 */
export function sendHttp(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: HttpBody | undefined,
  timeoutMs: number,
  signal?: AbortSignal
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url)
    const secure = target.protocol === 'https:'
    const pieces =
      body === undefined ? [] : typeof body === 'string' ? [Buffer.from(body)] : Buffer.isBuffer(body) ? [body] : body
    const length = pieces.reduce((sum, piece) => sum + piece.length, 0)
    const request = (secure ? httpsRequest : httpRequest)(
      target,
      {
        method,
        headers: { ...headers, 'Content-Length': String(length) },
        agent: secure ? agents.https : agents.http,
        signal
      },
      (response: Http.IncomingMessage) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            header: name => {
              const value = response.headers[name.toLowerCase()]
              return Array.isArray(value) ? value[0] : value
            },
            body: Buffer.concat(chunks)
          })
        })
      }
    )
    request.setTimeout(timeoutMs, () =>
      request.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' }))
    )
    request.on('error', reject)
    // Written without waiting for drain: the pieces are already in memory, and the socket
    // takes them in order.
    for (const piece of pieces) request.write(piece)
    request.end()
  })
}
