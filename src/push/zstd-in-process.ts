import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as zlib from 'node:zlib'
import { forcedZstdProcess } from '../util/knobs.js'

type ZstdCompress = (buffer: Buffer, options: { chunkSize?: number; params: Record<number, number> }, callback: (error: Error | null, result: Buffer) => void) => void

interface ZstdZlib {
  zstdCompress?: ZstdCompress
  constants: { ZSTD_c_compressionLevel?: number }
}

// node:zlib has zstd from Node 22.15 on (the node24 runtime); Node 20 has none.
const zstd = zlib as unknown as ZstdZlib

// zlib hands its output back in chunks of this size, one trip between the pool and the main
// thread each: at its 16 KiB default a frame takes hundreds of trips (measured: 40% more CPU).
const MAX_OUTPUT_CHUNK = 1024 * 1024

/** One independent zstd frame of `data`, compressed on the libuv thread pool. */
export function compressFrame(data: Buffer, level: number): Promise<Buffer> {
  const compress = zstd.zstdCompress
  const levelParam = zstd.constants.ZSTD_c_compressionLevel
  if (compress === undefined || levelParam === undefined) return Promise.reject(new Error('this Node has no zstd in node:zlib'))
  return new Promise((resolve, reject) => {
    compress(data, { chunkSize: Math.min(MAX_OUTPUT_CHUNK, Math.max(16 * 1024, data.length)), params: { [levelParam]: level } }, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

export type ZstdEngine = { kind: 'in-process' } | { kind: 'process'; reason: string }

let engine: Promise<ZstdEngine> | undefined

/**
 * Which zstd compresses: node:zlib's, when it exists and two frames of it, concatenated,
 * decompress with the zstd tool to the same bytes; otherwise the zstd program. Decided
 * once per process, since the API is marked experimental upstream.
 */
export function zstdEngine(): Promise<ZstdEngine> {
  engine ??= checkInProcessZstd()
  return engine
}

async function checkInProcessZstd(): Promise<ZstdEngine> {
  if (forcedZstdProcess()) return { kind: 'process', reason: 'NIX_CACHIX_BUILD_ZSTD=process' }
  if (zstd.zstdCompress === undefined) return { kind: 'process', reason: `Node ${process.version} has no zstd in node:zlib` }
  try {
    const sample = Buffer.concat([Buffer.from('nix-archive-1'.repeat(5000)), randomBytes(70_000)])
    const frames = Buffer.concat([await compressFrame(sample.subarray(0, 40_000), 2), await compressFrame(sample.subarray(40_000), 2)])
    const roundTrip = await decompressWithTool(frames)
    if (!roundTrip.equals(sample)) return { kind: 'process', reason: 'node:zlib zstd output did not decompress to the same bytes with zstd -d' }
    return { kind: 'in-process' }
  } catch (error: unknown) {
    return { kind: 'process', reason: `node:zlib zstd failed its check: ${error instanceof Error ? error.message : String(error)}` }
  }
}

function decompressWithTool(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('zstd', ['-d', '-q', '-c'], { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
    const out: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stdin.on('error', () => undefined)
    child.on('error', reject)
    child.on('close', code => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`zstd -d exited ${code}`))))
    child.stdin.end(data)
  })
}
