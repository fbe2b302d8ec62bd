import { open, lstat, readdir, readlink } from 'node:fs/promises'
import { Readable } from 'node:stream'

const FLUSH_BYTES = 256 * 1024
const FILE_CHUNK = 1024 * 1024
const PADDING = Buffer.alloc(8)
const SLASH = Buffer.from('/')

/** NAR token framing: u64le length, bytes, zero padding to 8. */
function frame(bytes: Buffer): Buffer[] {
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(bytes.length))
  const pad = (8 - (bytes.length % 8)) % 8
  return pad === 0 ? [length, bytes] : [length, bytes, PADDING.subarray(0, pad)]
}

const TOKENS = new Map<string, Buffer>()
function token(text: string): Buffer {
  let cached = TOKENS.get(text)
  if (!cached) {
    cached = Buffer.concat(frame(Buffer.from(text)))
    TOKENS.set(text, cached)
  }
  return cached
}

/** Gathers small pieces so the stream carries few, large chunks. */
class Batcher {
  private pieces: Buffer[] = []
  private size = 0

  add(...pieces: Buffer[]): void {
    for (const piece of pieces) {
      this.pieces.push(piece)
      this.size += piece.length
    }
  }

  get full(): boolean {
    return this.size >= FLUSH_BYTES
  }

  take(): Buffer | undefined {
    if (this.size === 0) return undefined
    const out = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces, this.size)
    this.pieces = []
    this.size = 0
    return out
  }
}

async function* entry(path: Buffer, out: Batcher): AsyncGenerator<Buffer> {
  const stat = await lstat(path)
  out.add(token('('), token('type'))
  if (stat.isSymbolicLink()) {
    out.add(token('symlink'), token('target'), ...frame(await readlink(path, { encoding: 'buffer' })))
  } else if (stat.isFile()) {
    out.add(token('regular'))
    // Only the owner's execute bit counts, as in Nix.
    if (stat.mode & 0o100) out.add(token('executable'), token(''))
    out.add(token('contents'))
    const length = Buffer.alloc(8)
    length.writeBigUInt64LE(BigInt(stat.size))
    out.add(length)
    const handle = await open(path, 'r')
    try {
      let read = 0
      while (read < stat.size) {
        const want = Math.min(FILE_CHUNK, stat.size - read)
        const buffer = Buffer.allocUnsafe(want)
        const { bytesRead } = await handle.read(buffer, 0, want, read)
        if (bytesRead === 0) break
        read += bytesRead
        out.add(bytesRead === want ? buffer : buffer.subarray(0, bytesRead))
        if (out.full) yield out.take() as Buffer
      }
      // A file that changed size while being read cannot be serialised faithfully.
      if (read !== stat.size) throw new Error(`${path.toString()} changed size while being read`)
    } finally {
      await handle.close()
    }
    const pad = (8 - (stat.size % 8)) % 8
    if (pad > 0) out.add(PADDING.subarray(0, pad))
  } else if (stat.isDirectory()) {
    out.add(token('directory'))
    // Nix orders entries by their bytes (std::map<std::string>), not by locale.
    const names = (await readdir(path, { encoding: 'buffer' })).sort(Buffer.compare)
    for (const name of names) {
      out.add(token('entry'), token('('), token('name'), ...frame(name), token('node'))
      // Buffer paths: a name need not be valid UTF-8.
      yield* entry(Buffer.concat([path, SLASH, name]), out)
      out.add(token(')'))
      if (out.full) yield out.take() as Buffer
    }
  } else {
    throw new Error(`${path.toString()} has a file type NAR cannot hold`)
  }
  out.add(token(')'))
  if (out.full) yield out.take() as Buffer
}

async function* archive(path: string): AsyncGenerator<Buffer> {
  const out = new Batcher()
  out.add(token('nix-archive-1'))
  yield* entry(Buffer.from(path), out)
  const rest = out.take()
  if (rest) yield rest
}

/**
 * The NAR serialisation of a file system tree, as `nix-store --dump` writes it, produced in
 * this process: no program start per store path. Callers check the result against narHash.
 */
export function narStream(path: string): Readable {
  return Readable.from(archive(path), { objectMode: false, highWaterMark: FLUSH_BYTES })
}
