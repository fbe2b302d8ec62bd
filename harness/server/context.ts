/** The state the server's parts share: the caches, their uploads in progress, stats and the current faults. */
import type { SigningKey } from '../../src/nix/format/signing.js'
import type { CacheDir } from './cache-dir.js'
import type { FaultConfig } from './faults.js'
import type { Upstream } from './upstream.js'

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
  /**
   * Store hashes that count as present "upstream", as Cachix counts what cache.nixos.org has: the
   * bulk query says present, GET and HEAD narinfo say 404 (the cache holds only what was pushed).
   */
  upstreamHashes?: string[]
  /** A binary cache whose paths count as present upstream too, asked over HTTP as cachix.org asks cache.nixos.org. */
  upstreamUrl?: string
}

export interface MultipartUpload {
  uploadId: string
  compression: 'xz' | 'zst'
  etags: Map<number, string>
  sizes: Map<number, number>
}

export interface CacheState {
  config: Required<Pick<LocalCacheConfig, 'name' | 'isPublic' | 'signing' | 'preferredCompression'>> & LocalCacheConfig
  dir: CacheDir
  keyName: string
  managedKey?: SigningKey
  publicKeys: Buffer[]
  upstream: Upstream
  /** narId → upload in progress */
  uploads: Map<string, MultipartUpload>
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

export interface ServerContext {
  /** The cache called `name`, or an HTTP 404. */
  cacheOr404(name: string): CacheState
  stats: ServerStats
  /** What `setFaults` last set: the part-upload faults are read per request, so a change applies at once. */
  faults: FaultConfig | undefined
  /** Known only once the server listens; the URLs the API hands out start with it. */
  baseUrl: string
  /** Decompress each completed upload and check cNarHash/cNarSize. */
  verifyNars: boolean
  log: (line: string) => void
}
