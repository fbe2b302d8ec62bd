import { CachixClient, type CachixClientOptions } from './client.js'
import type { RetryPolicy } from './retry-policy.js'
import type { BinaryCache } from './types.js'
import { parseSigningKey, type SigningKey } from '../nix/format/signing.js'
import type { CompressionMethod } from './types.js'

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

/** Limits on the one call that opens a session: an abort signal, and retries other than the client's own. */
export interface FirstContact {
  signal?: AbortSignal
  retryPolicy?: RetryPolicy
}

/** The token is good, but only for reading: the cache can be pulled from, not pushed to. */
export class ReadOnlyTokenError extends Error {
  constructor(
    readonly cache: BinaryCache,
    readonly client: CachixClient
  ) {
    super(
      `the auth token may only read Cachix cache "${cache.name}": create a token with write access, or pass no token to only pull`
    )
  }
}

/**
 * Checks the credentials against the cache before anything is built or uploaded, so a bad
 * token, an unknown cache or a malformed key fail at once with one clear message.
 */
export async function openCachixSession(
  options: CachixSessionOptions,
  contact: FirstContact = {}
): Promise<CachixSession> {
  const signingKey =
    options.signingKey === undefined || options.signingKey.trim() === ''
      ? undefined
      : parseSigningKey(options.signingKey)
  const client = new CachixClient(options)
  const cache = await client.getCache(contact.signal, contact.retryPolicy)
  const hasToken = (options.authToken ?? '') !== ''
  if (hasToken && cache.permission === 'Read' && !signingKey) throw new ReadOnlyTokenError(cache, client)
  const compression = options.compression ?? (cache.preferredCompressionMethod === 'XZ' ? 'xz' : 'zstd')
  return { client, cache, signingKey, compression, canPush: hasToken || signingKey !== undefined }
}
