import { CachixClient, type CachixClientOptions } from '../cachix/client.js'
import type { BinaryCache } from '../cachix/types.js'
import { parseSigningKey, type SigningKey } from '../nix/signing.js'
import type { CompressionMethod } from './compressor.js'

export interface CachixSessionOptions extends CachixClientOptions {
  /** CACHIX_SIGNING_KEY (base64) or a Nix secret key (`name:base64`). */
  signingKey?: string
  /** Overrides the cache's preferred method. */
  compression?: CompressionMethod
}

export interface CachixSession {
  client: CachixClient
  cache: BinaryCache
  signingKey?: SigningKey
  compression: CompressionMethod
  /** True when the credentials allow pushing. */
  canPush: boolean
}

/**
 * Checks the credentials against the cache before anything is built or uploaded, so a bad
 * token, an unknown cache or a malformed key fail at once with one clear message.
 */
export async function openCachixSession(options: CachixSessionOptions): Promise<CachixSession> {
  const signingKey =
    options.signingKey === undefined || options.signingKey.trim() === ''
      ? undefined
      : parseSigningKey(options.signingKey)
  const client = new CachixClient(options)
  const cache = await client.getCache()
  const hasToken = (options.authToken ?? '') !== ''
  if (hasToken && cache.permission === 'Read' && !signingKey) {
    throw new Error(
      `the auth token may only read Cachix cache "${cache.name}": create a token with write access, or pass no token to only pull`
    )
  }
  const compression = options.compression ?? (cache.preferredCompressionMethod === 'XZ' ? 'xz' : 'zstd')
  return { client, cache, signingKey, compression, canPush: hasToken || signingKey !== undefined }
}
