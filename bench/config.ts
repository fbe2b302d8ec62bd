import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_PART_SIZE } from '../src/push/upload-path.js'

export const MiB = 1024 * 1024
export const GiB = 1024 * MiB

function numberFromEnv(name: string, fallback: number): number {
  const text = process.env[name]
  if (text === undefined || text.trim() === '') return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${text}"`)
  return value
}

/** Everything a run depends on, read once so the report can print exactly what was used. */
export const config = {
  scale: numberFromEnv('BENCH_SCALE', 1),
  runs: Math.round(numberFromEnv('BENCH_RUNS', 1)),
  seed: Math.round(numberFromEnv('BENCH_SEED', 20_240_601)),
  dir: process.env.BENCH_DIR ?? join(tmpdir(), 'nix-cachix-build-bench'),
  only: (process.env.BENCH_ONLY ?? 'throughput,memory,missing').split(',').map(s => s.trim())
}

/**
 * The push settings under test. The engine itself only fixes the part size; the rest are
 * the values the integration tests' makePusher uses, with jobs raised to 8. zstd level 3 is
 * zstd's own default and what Nix uses for compression=zstd, so all three peers do equal work.
 */
export const PUSH_SETTINGS = {
  jobs: 8,
  partSize: DEFAULT_PART_SIZE,
  partConcurrency: 4,
  bufferBytes: 96 * MiB,
  compression: 'zstd' as const,
  compressionLevel: Math.round(numberFromEnv('BENCH_ZSTD_LEVEL', 3)),
  pathRetries: 3,
  pathRetryDelayMs: 1000
}

export const WRITE_TOKEN = 'bench-write-token'

/** Store options for every Nix call: nothing is substituted, nothing negative is cached. */
export const NIX_OFFLINE = ['--option', 'substituters', '', '--option', 'narinfo-cache-negative-ttl', '0']
export const NIX_COMMAND = ['--extra-experimental-features', 'nix-command']
