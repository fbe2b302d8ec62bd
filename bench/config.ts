import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PUSH_DEFAULTS } from '../src/push/defaults.js'

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
 * The push settings under test: the engine's production defaults, untouched. The peers
 * (nix copy and the dump|zstd bound) get the same zstd level, so all three do equal work.
 */
export const PUSH_SETTINGS = { ...PUSH_DEFAULTS, compression: 'zstd' as const }

export const WRITE_TOKEN = 'bench-write-token'

/** Store options for every Nix call: nothing is substituted, nothing negative is cached. */
export const NIX_OFFLINE = ['--option', 'substituters', '', '--option', 'narinfo-cache-negative-ttl', '0']
export const NIX_COMMAND = ['--extra-experimental-features', 'nix-command']
