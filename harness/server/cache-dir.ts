import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/**
 * One cache's files on disk, laid out as a Nix binary cache: `<hash>.narinfo`, `nar/…`,
 * plus `uploads/` for multipart parts not yet completed. Files appear by rename, so a
 * reader never sees half of one.
 */
const PART_READ_BYTES = 1 << 20

export class CacheDir {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.root, 'nar'), { recursive: true })
    await mkdir(join(this.root, 'uploads'), { recursive: true })
    await mkdir(join(this.root, 'tmp'), { recursive: true })
  }

  narInfoPath(hash: string): string {
    return join(this.root, `${hash}.narinfo`)
  }

  narPath(fileName: string): string {
    return join(this.root, 'nar', fileName)
  }

  async readNarInfo(hash: string): Promise<string | undefined> {
    try {
      return await readFile(this.narInfoPath(hash), 'utf8')
    } catch {
      return undefined
    }
  }

  async hasNarInfo(hash: string): Promise<boolean> {
    try {
      await stat(this.narInfoPath(hash))
      return true
    } catch {
      return false
    }
  }

  /** Which of `hashes` have a narinfo, from one directory listing rather than a stat each. */
  async presentHashes(hashes: string[]): Promise<Set<string>> {
    const present = new Set(await this.narInfoHashes())
    return new Set(hashes.filter(h => present.has(h)))
  }

  async narInfoHashes(): Promise<string[]> {
    return (await readdir(this.root)).filter(f => f.endsWith('.narinfo')).map(f => f.slice(0, -'.narinfo'.length))
  }

  async writeAtomically(target: string, content: string | Readable): Promise<{ size: number; sha256: string }> {
    const temp = join(this.root, 'tmp', randomUUID())
    const hasher = createHash('sha256')
    let size = 0
    if (typeof content === 'string') {
      hasher.update(content)
      size = Buffer.byteLength(content)
      await writeFile(temp, content)
    } else {
      content.on('data', (chunk: Buffer) => {
        hasher.update(chunk)
        size += chunk.length
      })
      await pipeline(content, createWriteStream(temp))
    }
    await rename(temp, target)
    return { size, sha256: hasher.digest('hex') }
  }

  uploadDir(uploadId: string): string {
    return join(this.root, 'uploads', uploadId)
  }

  partPath(uploadId: string, partNumber: number): string {
    return join(this.uploadDir(uploadId), String(partNumber))
  }

  async removeUpload(uploadId: string): Promise<void> {
    await rm(this.uploadDir(uploadId), { recursive: true, force: true })
  }

  /** The parts in order, read as the one file they make (1 MiB reads: a GiB is a thousand, not sixteen thousand). */
  async *readParts(uploadId: string, partNumbers: number[]): AsyncGenerator<Buffer> {
    for (const number of partNumbers)
      for await (const chunk of createReadStream(this.partPath(uploadId, number), { highWaterMark: PART_READ_BYTES }))
        yield chunk as Buffer
  }

  /** The size and sha256 of the file the parts make; nothing is written, so a failed check leaves the upload as it was. */
  async hashParts(uploadId: string, partNumbers: number[]): Promise<{ size: number; sha256: string }> {
    const hasher = createHash('sha256')
    let size = 0
    for await (const chunk of this.readParts(uploadId, partNumbers)) {
      hasher.update(chunk)
      size += chunk.length
    }
    return { size, sha256: hasher.digest('hex') }
  }

  /**
   * Makes the parts one file at target: the later parts appended to the first part's file,
   * which is then renamed, so the bytes of a NAR of one part (most of them) are never copied.
   */
  async assembleParts(uploadId: string, partNumbers: number[], target: string): Promise<void> {
    const [first, ...rest] = partNumbers.map(n => this.partPath(uploadId, n))
    if (rest.length > 0)
      await pipeline(this.readParts(uploadId, partNumbers.slice(1)), createWriteStream(first, { flags: 'a' }))
    await rename(first, target)
  }
}
