import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import zlib from 'node:zlib'
import { narStream } from '../src/nix/format/nar.js'
import { initCpuClock, ownCpu } from './cpu.js'

// A child entry, run under Node 24: the compression bound. Every NAR is serialised in this
// process from the store's files (no nix-store, no chroot, so it is the same under every Nix)
// and cut into independent frames that zstd compresses on the libuv pool, one per core at a
// time. Nothing is hashed or sent: this is the least work any pusher at this level must do.

interface BoundRequest {
  mode: 'compress' | 'read'
  storeRoot: string
  paths: string[]
  level: number
  frameBytes: number
}

export interface BoundResult {
  ms: number
  narBytes: number
  compressedBytes: number
  frames: number
  cpu: number
  workers: number
  node: string
}

interface ZstdApi {
  zstdCompress(
    input: Buffer,
    options: { params: Record<number, number> },
    callback: (error: Error | null, output: Buffer) => void
  ): void
  constants: Record<string, number>
}

const arg = process.argv[2] ?? '{}'
const request = JSON.parse(arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg) as BoundRequest
const zstd = zlib as unknown as ZstdApi
if (request.mode === 'compress' && typeof zstd.zstdCompress !== 'function') {
  throw new Error(`node ${process.version} has no zlib zstd: run the bound under Node 22.15 or later`)
}
await initCpuClock()
const workers = availableParallelism()
let inFlight = 0
const waiting: (() => void)[] = []
let compressedBytes = 0
let frames = 0
let narBytes = 0
const pending = new Set<Promise<void>>()

function compress(frame: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    zstd.zstdCompress(
      frame,
      { params: { [zstd.constants.ZSTD_c_compressionLevel]: request.level } },
      (error, output) => {
        if (error) reject(error)
        else {
          compressedBytes += output.length
          frames++
          resolve()
        }
      }
    )
  })
}

async function submit(frame: Buffer): Promise<void> {
  while (inFlight >= workers) await new Promise<void>(resolve => waiting.push(resolve))
  inFlight++
  const job = compress(frame).finally(() => {
    inFlight--
    pending.delete(job)
    waiting.shift()?.()
  })
  pending.add(job)
}

async function onePath(path: string): Promise<void> {
  let pieces: Buffer[] = []
  let size = 0
  for await (const chunk of narStream(`${request.storeRoot}${path}`) as AsyncIterable<Buffer>) {
    narBytes += chunk.length
    if (request.mode === 'read') continue
    pieces.push(chunk)
    size += chunk.length
    if (size >= request.frameBytes) {
      await submit(Buffer.concat(pieces, size))
      pieces = []
      size = 0
    }
  }
  if (size > 0) await submit(Buffer.concat(pieces, size))
}

const started = performance.now()
// As many NARs read at once as there are cores, so small paths keep every core busy too.
let next = 0
await Promise.all(
  Array.from({ length: workers }, async () => {
    while (next < request.paths.length) await onePath(request.paths[next++])
  })
)
await Promise.all([...pending])
const result: BoundResult = {
  ms: performance.now() - started,
  narBytes,
  compressedBytes,
  frames,
  cpu: ownCpu('self'),
  workers,
  node: process.version
}
process.stdout.write(`${JSON.stringify(result)}\n`)
