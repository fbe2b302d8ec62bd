import { cpus, loadavg } from 'node:os'
import { runCommand } from '../src/util/process.js'
import { NIX_OFFLINE, PUSH_SETTINGS, config } from './config.js'
import { mib } from './report.js'
import { describeNix, nixInstalls, nodeRuntimes } from './runtimes.js'

/** Other work on a small machine skews every timing: the load average says whether there was any. */
export function loadAverage(): string {
  return `load average ${loadavg()
    .map(l => l.toFixed(2))
    .join(' ')}`
}

/** The versions and settings a reader needs to reproduce or compare a run. */
export async function describeEnvironment(): Promise<string[]> {
  const zstd = (await runCommand('zstd', ['--version'])).stdout.trim()
  const { node24, node20 } = await nodeRuntimes()
  const { host, modern, modernProblem } = await nixInstalls()
  const s = PUSH_SETTINGS
  return [
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), driver node ${process.version}, ${loadAverage()} at start`,
    `ours runs under ${node24.label} ${node24.version} (${node24.bin}) and ${node20.label} ${node20.version} (${node20.bin})`,
    `ours (PUSH_DEFAULTS of src/push/create.ts): jobs ${s.jobs}, part size ${mib(s.partSize)}, parts in flight per path ${s.partConcurrency}, part buffer budget ${mib(s.bufferBytes)}, ${s.compression} level ${s.compressionLevel}; which compressor ran is printed per push`,
    `peer ${host.label}: ${await describeNix(host)}`,
    modern
      ? `peer ${modern.label}: ${await describeNix(modern)}; called through modern-nix.sh (~36 ms a call), our pusher reads NARs from that store with NIX_CACHIX_BUILD_STORE_ROOT=${modern.storeRoot}`
      : `peer nix 2.34: ${modernProblem ?? 'not set up'}`,
    `nix copy: --to <target>/cache/<name>?compression=zstd&compression-level=${s.compressionLevel} (our level), everything else at each Nix's defaults; every Nix call adds ${NIX_OFFLINE.map(a => (a === '' ? "''" : a)).join(' ')}`,
    `zstd: ${zstd}`,
    `scale: BENCH_SCALE=${config.scale}, runs: BENCH_RUNS=${config.runs} (real binaries: BENCH_REAL_RUNS=${config.realRuns}), best kept; targets: BENCH_TARGETS=${config.targets.join(',')}; sections: BENCH_ONLY=${config.only.join(',')}; seed ${config.seed}; data in ${config.dir}`,
    'targets: local = our Cachix-compatible server in its own node process (fresh data dir per comparison, one empty cache per push, verifyNars false); null = bench/null-server.ts, accepts every upload and keeps nothing'
  ]
}
