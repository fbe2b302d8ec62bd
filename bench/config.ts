import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { PUSH_DEFAULTS } from '../src/push/create.js'

export const MiB = 1024 * 1024
export const GiB = 1024 * MiB

function numberFromEnv(name: string, fallback: number): number {
  const text = process.env[name]
  if (text === undefined || text.trim() === '') return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${text}"`)
  return value
}

/** Every section, in the order they run; BENCH_ONLY picks a comma-separated subset. */
export const SECTION_KEYS = [
  'throughput',
  'real',
  'memory',
  'building',
  'walk',
  'rerun',
  'missing',
  'diff',
  'eval'
] as const
export type SectionKey = (typeof SECTION_KEYS)[number]

function sectionsFromEnv(): SectionKey[] {
  const text = process.env.BENCH_ONLY
  if (text === undefined || text.trim() === '') return [...SECTION_KEYS]
  const picked = text
    .split(',')
    .map(s => s.trim())
    .filter(s => s !== '')
  for (const key of picked) {
    if (!(SECTION_KEYS as readonly string[]).includes(key))
      throw new Error(`BENCH_ONLY: unknown section "${key}"; sections are ${SECTION_KEYS.join(', ')}`)
  }
  return picked as SectionKey[]
}

function targetsFromEnv(): ('local' | 'null')[] {
  const text = process.env.BENCH_TARGETS ?? 'local,null'
  const picked = text
    .split(',')
    .map(s => s.trim())
    .filter(s => s !== '')
  for (const t of picked)
    if (t !== 'local' && t !== 'null') throw new Error(`BENCH_TARGETS: "${t}" is not local or null`)
  return picked as ('local' | 'null')[]
}

/** Everything a run depends on, read once so the report can print exactly what was used. */
export const config = {
  scale: numberFromEnv('BENCH_SCALE', 1),
  runs: Math.round(numberFromEnv('BENCH_RUNS', 1)),
  /** Runs of the small real-binaries closure (it is quick, and noisier). */
  realRuns: Math.round(numberFromEnv('BENCH_REAL_RUNS', 3)),
  seed: Math.round(numberFromEnv('BENCH_SEED', 20_240_601)),
  dir: process.env.BENCH_DIR ?? join(tmpdir(), 'nix-cachix-build-bench'),
  only: sectionsFromEnv(),
  /** Upload targets of the throughput sections: our server in its own process, and the null target. */
  targets: targetsFromEnv(),
  cores: availableParallelism(),
  /** Longest one push or build may take before it counts as hung and is stopped. */
  deadlineMs: numberFromEnv('BENCH_DEADLINE_S', Math.round(60 + 240 * numberFromEnv('BENCH_SCALE', 1))) * 1000
}

/**
 * The push settings under test: the engine's production defaults, untouched. The peers
 * (nix copy and the compression bound) get the same zstd level, so all do equal work.
 */
export const PUSH_SETTINGS = { ...PUSH_DEFAULTS, compression: 'zstd' as const }

export const WRITE_TOKEN = 'bench-write-token'

/** Store options for every Nix call: nothing is substituted, nothing negative is cached. */
export const NIX_OFFLINE = ['--option', 'substituters', '', '--option', 'narinfo-cache-negative-ttl', '0']
export const NIX_COMMAND = ['--extra-experimental-features', 'nix-command']
