import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { PassThrough, type Readable } from 'node:stream'
import { drainedOrClosed } from '../../util/stream.js'
import { asError } from '../../util/errors.js'

const PADDING = Buffer.alloc(8)
const SLASH = Buffer.from('/')

/**
 * Reads up to `length` bytes of a file at `position` into `target` at `offset`, and says how
 * many it read: synchronously for a small file, through the thread pool for a large one.
 */
export type FileReader = (target: Buffer, offset: number, length: number, position: number) => number | Promise<number>

/**
 * Where a NAR is written. `add` copies small pieces (tokens, names) and returns a promise only
 * when the sink needs the writer to wait; `addFile` moves a file's bytes, so a sink can read
 * them straight into its own buffer.
 */
export interface NarSink {
  add(bytes: Buffer): Promise<void> | undefined
  addFile(read: FileReader, size: number, path: string): Promise<void>
}

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

async function put(sink: NarSink, ...pieces: Buffer[]): Promise<void> {
  for (const piece of pieces) {
    const wait = sink.add(piece)
    if (wait) await wait
  }
}

// Files up to this size are read with synchronous calls: store files were just written and
// sit in the page cache, and three trips through the thread pool (open, read, close) cost far
// more than the read itself (most files of a store path are this small).
const SMALL_FILE = 64 * 1024

async function entry(path: Buffer, sink: NarSink): Promise<void> {
  const stat = lstatSync(path)
  await put(sink, token('('), token('type'))
  if (stat.isSymbolicLink()) {
    await put(sink, token('symlink'), token('target'), ...frame(readlinkSync(path, { encoding: 'buffer' })))
  } else if (stat.isFile()) {
    await put(sink, token('regular'))
    // Only the owner's execute bit counts, as in Nix.
    if (stat.mode & 0o100) await put(sink, token('executable'), token(''))
    const length = Buffer.alloc(8)
    length.writeBigUInt64LE(BigInt(stat.size))
    await put(sink, token('contents'), length)
    // The sink reads the contents straight into its own buffer.
    if (stat.size <= SMALL_FILE) {
      const fd = openSync(path, 'r')
      try {
        await sink.addFile(
          (target, offset, size, position) => readSync(fd, target, offset, size, position),
          stat.size,
          path.toString()
        )
      } finally {
        closeSync(fd)
      }
    } else {
      const handle = await open(path, 'r')
      try {
        await sink.addFile(
          async (target, offset, size, position) => (await handle.read(target, offset, size, position)).bytesRead,
          stat.size,
          path.toString()
        )
      } finally {
        await handle.close()
      }
    }
    const pad = (8 - (stat.size % 8)) % 8
    if (pad > 0) await put(sink, PADDING.subarray(0, pad))
  } else if (stat.isDirectory()) {
    await put(sink, token('directory'))
    // Nix orders entries by their bytes (std::map<std::string>), not by locale.
    const names = readdirSync(path, { encoding: 'buffer' }).sort((a, b) => Buffer.compare(a, b))
    for (const name of names) {
      await put(sink, token('entry'), token('('), token('name'), ...frame(name), token('node'))
      // Buffer paths: a name need not be valid UTF-8.
      await entry(Buffer.concat([path, SLASH, name]), sink)
      await put(sink, token(')'))
    }
  } else {
    throw new Error(`${path.toString()} has a file type NAR cannot hold`)
  }
  await put(sink, token(')'))
}

/**
 * Writes the NAR serialisation of a file system tree, as `nix-store --dump` writes it, into
 * `sink`, in this process: no program start per store path. Callers check the result against
 * narHash.
 */
export async function writeNar(path: string, sink: NarSink): Promise<void> {
  await put(sink, token('nix-archive-1'))
  await entry(Buffer.from(path), sink)
}

/**
 * Reads exactly `size` bytes with `read` into `target` at `offset`, from file position
 * `position`; a promise only when the reader gave one.
 */
export function readExactly(
  read: FileReader,
  target: Buffer,
  offset: number,
  size: number,
  position: number,
  path: string
): Promise<void> | undefined {
  for (let done = 0; done < size;) {
    const got = read(target, offset + done, size - done, position + done)
    if (typeof got !== 'number')
      // The reader went asynchronous: the rest is awaited, the synchronous path never makes a promise.
      return got.then(async first => {
        for (let bytesRead = first; ; bytesRead = await read(target, offset + done, size - done, position + done)) {
          if (bytesRead === 0) throw new Error(`${path} changed size while being read`)
          done += bytesRead
          if (done >= size) return
        }
      })
    // A file that changed size while being read cannot be serialised faithfully.
    if (got === 0) throw new Error(`${path} changed size while being read`)
    done += got
  }
  return undefined
}

const FILE_CHUNK = 1024 * 1024

/** The NAR of a tree as a byte stream, with backpressure (uploads write into a sink instead). */
export function narStream(path: string): Readable {
  const out = new PassThrough({ highWaterMark: FILE_CHUNK })
  const write = (bytes: Buffer): Promise<void> | undefined => {
    if (out.destroyed) return Promise.reject(new Error('the NAR stream was closed'))
    if (out.write(bytes)) return undefined
    return drainedOrClosed(out)
  }
  const sink: NarSink = {
    add: bytes => write(Buffer.from(bytes)),
    addFile: async (read, size, file) => {
      for (let position = 0; position < size; position += FILE_CHUNK) {
        const buffer = Buffer.allocUnsafe(Math.min(FILE_CHUNK, size - position))
        await readExactly(read, buffer, 0, buffer.length, position, file)
        const wait = write(buffer)
        if (wait) await wait
      }
    }
  }
  writeNar(path, sink).then(
    () => out.end(),
    (error: unknown) => out.destroy(asError(error))
  )
  return out
}
