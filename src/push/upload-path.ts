import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { CachixClient } from '../cachix/client.js'
import type { CompletedPart, NarInfoCreate } from '../cachix/types.js'
import { toNixHash } from '../nix/hash.js'
import { fingerprint } from '../nix/narinfo.js'
import type { PathInfo } from '../nix/path-info.js'
import { signFingerprint, type SigningKey } from '../nix/signing.js'
import { baseName, parseStorePath } from '../nix/store-path.js'
import type { NarStream, NixStore } from '../nix/store.js'
import { narStream } from '../nix/nar.js'
import { existsSync } from 'node:fs'
import type { ByteBudget } from './byte-budget.js'
import { startCompressor, type CompressionMethod } from './compressor.js'

export const DEFAULT_PART_SIZE = 32 * 1024 * 1024

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

// Where the store's files are on this machine's file system, when that is not /nix/store
// itself (a chroot store); a path not found there is dumped by nix-store instead.
const STORE_ROOT = process.env.NIX_CACHIX_BUILD_STORE_ROOT ?? ''

function openNar(path: string, store: NixStore, source: NarSource): NarStream {
  const physical = `${STORE_ROOT}${path}`
  if (source === NarSource.InProcess && existsSync(physical)) {
    const stream = narStream(physical)
    const done = new Promise<void>((resolve, reject) => {
      stream.once('end', resolve)
      stream.once('error', reject)
    })
    done.catch(() => undefined)
    return { stream, done, kill: () => stream.destroy(new Error('upload stopped')) }
  }
  return store.dumpNar(path)
}

/**
 * Streams one store path into the cache: NAR dump → hash → compressor → hash → parts of
 * `partSize`, each presigned and PUT while the next fills. Nothing holds the whole NAR; the
 * part buffers are reserved from a shared byte budget. Any failure aborts the upload.
 */
export async function uploadStorePath(info: PathInfo, settings: UploadSettings, signal?: AbortSignal, nix = NarSource.InProcess): Promise<UploadResult> {
  const { client, budget, partSize } = settings
  const expected = Math.max(1, info.narSize)
  const { narId, uploadId } = await client.createUpload(settings.compression === 'zstd' ? 'zst' : 'xz', signal)
  // The first buffer is reserved before the compressor starts: a compressor that finished
  // while nobody read its output would have that output discarded by Node.
  let reserved = Math.min(partSize, expected + 4096)
  await budget.acquire(reserved)
  // Bytes of the budget this upload holds for the buffer being filled (0 once handed to a PUT).
  let holding = reserved
  const nar = openNar(info.path, settings.store, nix)
  const compressor = startCompressor(settings.compression, settings.compressionLevel)
  const stop = (): void => {
    nar.kill()
    compressor.kill()
  }
  signal?.addEventListener('abort', stop, { once: true })

  const narHasher = createHash('sha256')
  let narSize = 0
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      narHasher.update(chunk)
      narSize += chunk.length
      callback(null, chunk)
    }
  })
  const feeding = pipeline(nar.stream, tap, compressor.input)

  const fileHasher = createHash('sha256')
  let fileSize = 0
  const parts: (CompletedPart & { missingETag: boolean })[] = []
  const inFlight = new Set<Promise<void>>()
  let firstError: unknown

  const sendPart = (partNumber: number, data: Buffer, reserved: number): void => {
    const task = (async () => {
      try {
        const md5 = createHash('md5').update(data).digest('base64')
        const url = await client.presignPart(narId, uploadId, partNumber, md5, signal)
        const eTag = await client.putPart(url, data, md5, signal)
        parts.push({ partNumber, eTag: eTag ?? '', missingETag: eTag === undefined })
      } finally {
        budget.release(reserved)
      }
    })().catch((error: unknown) => {
      firstError ??= error
      stop()
    })
    inFlight.add(task)
    void task.finally(() => inFlight.delete(task))
  }

  try {
    let partNumber = 0
    let buffer = Buffer.allocUnsafe(reserved)
    let filled = 0
    const flush = async (last: boolean): Promise<void> => {
      partNumber++
      const data = buffer.subarray(0, filled)
      while (inFlight.size >= settings.partConcurrency) await Promise.race(inFlight)
      sendPart(partNumber, data, reserved)
      holding = 0
      if (last) return
      reserved = Math.min(partSize, Math.max(4096, expected - fileSize))
      await budget.acquire(reserved)
      holding = reserved
      buffer = Buffer.allocUnsafe(reserved)
      filled = 0
    }
    for await (const chunk of compressor.output as AsyncIterable<Buffer>) {
      if (firstError !== undefined) break
      fileHasher.update(chunk)
      fileSize += chunk.length
      let offset = 0
      while (offset < chunk.length) {
        if (filled === buffer.length && buffer.length < partSize) {
          // The compressed stream outgrew the estimate: widen this part's buffer up to partSize.
          // Taken without waiting, so two uploads that both outgrow can never block each other.
          const grown = Math.min(partSize, buffer.length * 2)
          budget.take(grown - reserved)
          const wider = Buffer.allocUnsafe(grown)
          buffer.copy(wider, 0, 0, filled)
          buffer = wider
          reserved = grown
          holding = grown
        }
        const take = Math.min(chunk.length - offset, buffer.length - filled)
        chunk.copy(buffer, filled, offset, offset + take)
        filled += take
        offset += take
        if (filled === partSize) await flush(false)
      }
    }
    if (firstError === undefined && (filled > 0 || partNumber === 0)) await flush(true)
    await Promise.all([...inFlight])
    if (firstError !== undefined) throw firstError
    await Promise.all([feeding, nar.done, compressor.done])

    // Never complete an upload whose bytes went missing on the way (the server would store nothing).
    if (fileSize === 0) throw new Error(`${info.path}: the ${settings.compression} compressor produced no output`)
    const narHash = toNixHash(narHasher.digest())
    if (narHash !== info.narHash || narSize !== info.narSize) {
      throw new NarMismatchError(
        nix,
        `${info.path}: the NAR read from disk (${narHash}, ${narSize} bytes) differs from the Nix database (${info.narHash}, ${info.narSize} bytes); repair it with nix-store --verify --repair --check-contents`
      )
    }
    const fileHash = fileHasher.digest('hex')
    const { hash, name } = parseStorePath(info.path)
    const narInfoCreate: NarInfoCreate = {
      cStoreHash: hash,
      cStoreSuffix: name,
      cNarHash: narHash,
      cNarSize: narSize,
      cFileHash: fileHash,
      cFileSize: fileSize,
      cReferences: info.references.map(baseName).sort(),
      cDeriver: info.deriver ? baseName(info.deriver) : 'unknown-deriver',
      cSig: settings.signingKey ? signFingerprint(settings.signingKey, fingerprint(info.path, narHash, narSize, info.references)) : null
    }
    parts.sort((a, b) => a.partNumber - b.partNumber)
    const completed = parts.some(p => p.missingETag) ? null : parts.map(({ partNumber, eTag }) => ({ partNumber, eTag }))
    await client.completeUpload(narId, uploadId, { parts: completed, narInfoCreate }, signal)
    return { narSize, fileSize, fileHash, parts: parts.length }
  } catch (error: unknown) {
    stop()
    await Promise.allSettled([...inFlight, feeding, nar.done, compressor.done])
    await client.abortUpload(narId, uploadId).catch(() => undefined)
    throw firstError ?? error
  } finally {
    if (holding > 0) budget.release(holding)
    signal?.removeEventListener('abort', stop)
  }
}
