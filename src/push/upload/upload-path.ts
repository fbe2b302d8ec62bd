import { existsSync } from 'node:fs'
import type { CachixClient } from '../../cachix/client.js'
import type { CompleteMultipartRequest, NarInfoCreate } from '../../cachix/types.js'
import { toNixHash } from '../../nix/format/hash.js'
import { writeNar } from '../../nix/format/nar.js'
import { fingerprint } from '../../nix/format/narinfo.js'
import type { PathInfo } from '../../nix/format/path-info.js'
import { signFingerprint, type SigningKey } from '../../nix/format/signing.js'
import { baseName, parseStorePath } from '../../nix/format/store-path.js'
import type { NarStream, NixStore } from '../../nix/store.js'
import type { ByteBudget } from './byte-budget.js'
import type { CompressionMethod } from '../../cachix/types.js'
import { openCompressor, type FrameCompressor } from './compressor.js'
import { FrameSink } from './frame-sink.js'
import { DEFAULT_PART_SIZE, PartWriter } from './part-writer.js'
import { expectHashing, openStreamHash } from './stream-hash.js'
import { zstdEngine } from './zstd-in-process.js'

export { DEFAULT_PART_SIZE }
import { storeRoot } from '../../util/knobs.js'

const MIB = 1024 * 1024
// S3 takes at most 10,000 parts, so a huge NAR gets larger parts.
const MAX_PARTS = 9_000

export interface UploadSettings {
  client: CachixClient
  store: NixStore
  compression: CompressionMethod
  compressionLevel: number
  partSize: number
  /** Parts of one path in flight at once. */
  partConcurrency: number
  budget: ByteBudget
  signingKey?: SigningKey
}

export interface UploadResult {
  narSize: number
  fileSize: number
  fileHash: string
  parts: number
}

/** A NAR whose parts are all in storage, not yet published: completing it writes the narinfo. */
export interface StagedUpload {
  narId: string
  uploadId: string
  request: CompleteMultipartRequest
  result: UploadResult
}

/** The NAR read differs from the database's narHash: the store is damaged (or, in process, our serialiser is wrong). */
export class NarMismatchError extends Error {
  constructor(
    readonly source: NarSource,
    message: string
  ) {
    super(message)
  }
}

export enum NarSource {
  /** Serialised here from the file system (no program start per path). */
  InProcess = 'in-process',
  /** `nix-store --dump`, the reference. */
  NixStore = 'nix-store'
}

/**
 * Starts what the uploads need before the first one does: the zstd check as soon as paths
 * come (while their closure is read), and the hash threads once `queuedNarBytes` of NAR are
 * queued, when that is worth a thread (stream-hash.ts).
 */
export function prepareUploads(compression: CompressionMethod, queuedNarBytes = 0): void {
  if (compression === 'zstd') void zstdEngine()
  expectHashing(queuedNarBytes)
}

/** The part size for a NAR: the default, or larger where the default would need too many parts. */
export function partSizeFor(narSize: number, partSize: number): number {
  const needed = Math.ceil(narSize / MAX_PARTS / MIB) * MIB
  return Math.max(partSize, needed)
}

/**
 * Puts one store path's NAR into storage without publishing it: NAR → hash → compress →
 * parts. Nothing holds the whole NAR. Any failure aborts the multipart upload and frees
 * every buffer before it is thrown.
 */
export async function stageStorePath(
  info: PathInfo,
  settings: UploadSettings,
  signal: AbortSignal,
  source = NarSource.InProcess
): Promise<StagedUpload> {
  const { client } = settings
  const { narId, uploadId } = await client.createUpload(settings.compression === 'zstd' ? 'zst' : 'xz', signal)
  const writer = new PartWriter({
    client,
    narId,
    uploadId,
    partSize: partSizeFor(info.narSize, settings.partSize),
    partConcurrency: settings.partConcurrency,
    budget: settings.budget,
    expectedBytes: info.narSize,
    signal
  })
  let dump: NarStream | undefined
  let compressor: FrameCompressor | undefined
  let sink: FrameSink | undefined
  try {
    compressor = await openCompressor(
      settings.compression,
      settings.compressionLevel,
      chunk => writer.write(chunk),
      writer.signal
    )
    sink = new FrameSink(compressor, openStreamHash(), writer.signal)
    // A chroot store keeps its files under another root; a path not found there is dumped by nix-store.
    const physical = `${storeRoot()}${info.path}`
    if (source === NarSource.InProcess && existsSync(physical)) await writeNar(physical, sink)
    else {
      dump = settings.store.dumpNar(info.path)
      for await (const chunk of dump.stream as AsyncIterable<Buffer>) {
        const wait = sink.add(chunk)
        if (wait) await wait
      }
      await dump.done
    }
    await sink.end()
    const file = await writer.finish()
    const narSize = sink.narSize

    const narHash = toNixHash(await sink.narDigest())
    if (narHash !== info.narHash || narSize !== info.narSize) {
      throw new NarMismatchError(
        source,
        `${info.path}: the NAR read from disk (${narHash}, ${narSize} bytes) differs from the Nix database (${info.narHash}, ${info.narSize} bytes); repair it with nix-store --verify --repair --check-contents`
      )
    }
    // Never complete an upload whose bytes went missing on the way (the server would store nothing).
    if (file.fileSize === 0) throw new Error(`${info.path}: the ${settings.compression} compressor produced no output`)
    const { hash, name } = parseStorePath(info.path)
    const narInfoCreate: NarInfoCreate = {
      cStoreHash: hash,
      cStoreSuffix: name,
      cNarHash: narHash,
      cNarSize: narSize,
      cFileHash: file.fileHash,
      cFileSize: file.fileSize,
      cReferences: info.references.map(baseName).sort(),
      cDeriver: info.deriver ? baseName(info.deriver) : 'unknown-deriver',
      cSig: settings.signingKey
        ? signFingerprint(settings.signingKey, fingerprint(info.path, narHash, narSize, info.references))
        : null
    }
    return {
      narId,
      uploadId,
      request: { parts: file.parts, narInfoCreate },
      result: { narSize, fileSize: file.fileSize, fileHash: file.fileHash, parts: file.partCount }
    }
  } catch (error: unknown) {
    dump?.kill()
    sink?.abort()
    await writer.abort(error)
    await compressor?.abort()
    await client.abortUpload(narId, uploadId).catch(() => undefined)
    throw error
  }
}

/** Publishes a staged NAR: the narinfo exists from here on. */
export async function completeStaged(
  client: CachixClient,
  staged: StagedUpload,
  signal: AbortSignal
): Promise<UploadResult> {
  try {
    await client.completeUpload(staged.narId, staged.uploadId, staged.request, signal)
  } catch (error: unknown) {
    await discardStaged(client, staged)
    throw error
  }
  return staged.result
}

/** Gives up a staged NAR (its references could not be published, or the push was cut off). */
export async function discardStaged(client: CachixClient, staged: StagedUpload): Promise<void> {
  await client.abortUpload(staged.narId, staged.uploadId).catch(() => undefined)
}
