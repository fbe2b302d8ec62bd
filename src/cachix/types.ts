/** JSON shapes of the Cachix API, field names exactly as the Haskell records spell them. */
export interface BinaryCache {
  name: string
  uri: string
  isPublic: boolean
  publicSigningKeys: string[]
  githubUsername: string
  permission: 'Read' | 'Write' | 'Admin'
  preferredCompressionMethod: 'XZ' | 'ZSTD'
}

export interface CreateMultipartResponse {
  narId: string
  uploadId: string
}

export interface UploadPartResponse {
  uploadUrl: string
}

export interface CompletedPart {
  partNumber: number
  eTag: string
}

export interface NarInfoCreate {
  cStoreHash: string
  cStoreSuffix: string
  cNarHash: string
  cNarSize: number
  cFileHash: string
  cFileSize: number
  cReferences: string[]
  cDeriver: string
  cSig: string | null
}

export interface CompleteMultipartRequest {
  parts: CompletedPart[] | null
  narInfoCreate: NarInfoCreate
}

/** Query value for `?compression=`: Cachix spells zstd `zst`. */
export type WireCompression = 'xz' | 'zst'

/** How NARs are compressed for the cache: the cache's preferred method, or the compression input. */
export type CompressionMethod = 'zstd' | 'xz'
