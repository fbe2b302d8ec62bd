import { cpus, loadavg } from 'node:os'
import { run } from '../src/util/process.js'
import { NIX_COMMAND, NIX_OFFLINE, PUSH_SETTINGS, config } from './config.js'
import { mib } from './report.js'

const NIX_SETTINGS = ['http-connections', 'cores', 'max-jobs', 'sandbox', 'download-attempts']

/** Other work on a small machine skews every timing: the load average says whether there was any. */
export function loadAverage(): string {
  return `load average ${loadavg().map(l => l.toFixed(2)).join(' ')}`
}

/** The versions and settings a reader needs to reproduce or compare a run. */
export async function describeEnvironment(): Promise<string[]> {
  const nix = (await run('nix', ['--version'])).stdout.trim()
  const zstd = (await run('zstd', ['--version'])).stdout.trim()
  const shown = (await run('nix', [...NIX_COMMAND, 'show-config'])).stdout.split('\n')
  const nixSettings = NIX_SETTINGS.map(name => shown.find(l => l.startsWith(`${name} = `)) ?? `${name} = ?`)
  const s = PUSH_SETTINGS
  return [
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${loadAverage()} at start`,
    `nix: ${nix}; ${nixSettings.join(', ')}; every call adds ${NIX_OFFLINE.map(a => (a === '' ? "''" : a)).join(' ')}`,
    `zstd: ${zstd}`,
    `scale: BENCH_SCALE=${config.scale}, runs per measurement: BENCH_RUNS=${config.runs} (best kept), seed ${config.seed}, data in ${config.dir}`,
    `ours (PUSH_DEFAULTS of src/push/defaults.ts): jobs ${s.jobs}, part size ${mib(s.partSize)}, parts in flight per path ${s.partConcurrency}, part buffer budget ${mib(s.bufferBytes)}, ${s.compression} level ${s.compressionLevel} -T0`,
    `nix copy: --to <server>/cache/B?compression=${s.compression}&compression-level=${s.compressionLevel} (our level), everything else at Nix's defaults`,
    'server: local Cachix-compatible server in its own node process, fresh data dir per timed push, verifyNars false (no re-hash of uploads, as for plain Nix uploads)'
  ]
}
