/** Who may read and who may push to a cache: bearer and basic tokens, public and private, self-signed caches. */
import type { IncomingMessage } from 'node:http'
import type { CacheState } from './context.js'
import { HttpError } from './http.js'

/** 'none' for anonymous, else the token's permission; an unknown token is a 401. */
export function permission(req: IncomingMessage, cache: CacheState): 'none' | 'read' | 'write' {
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

export function requireRead(req: IncomingMessage, cache: CacheState): void {
  if (permission(req, cache) === 'none' && !cache.config.isPublic)
    throw new HttpError(401, `cache ${cache.config.name} is private`)
}

export function requireWrite(req: IncomingMessage, cache: CacheState): void {
  const level = permission(req, cache)
  if (level === 'write') return
  // A self-signed cache takes anonymous pushes: the signature checked at completion is the proof.
  if (level === 'none' && cache.config.signing === 'self') return
  throw new HttpError(level === 'none' ? 401 : 403, `no write access to cache ${cache.config.name}`)
}
