import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { exited, firstJsonLine } from './child.js'
import { WRITE_TOKEN } from './config.js'
import type { RerunRequest, RerunResult } from './rerun-child.js'
import { best, judged, seconds, type Row } from './report.js'
import { nodeRuntimes } from './runtimes.js'
import { startBenchServer } from './server.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const CACHE = 'rerun'
const SLACK_MS = 2000

/** The action run twice on the sample flake's x86 hosts; the second run finds every host cached. */
export async function noopRerun(log: (line: string) => void): Promise<Row[]> {
  const { node24 } = await nodeRuntimes()
  const bundle = join(REPO, 'dist', 'main', 'index.js')
  log(
    `runs dist/ (bundled ${statSync(bundle).mtime.toISOString()}; npm run package rebuilds it) via harness/runner.ts runStep, main then post, runner profile ${process.env.RUNNER_PROFILE ?? 'hosted (default)'}, runner node ${process.env.RUNNER_NODE ?? `${node24.label} ${node24.version}`}`
  )
  const server = await startBenchServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  let result: RerunResult
  try {
    const request: RerunRequest = { serverUrl: server.url, cache: CACHE, token: WRITE_TOKEN }
    const child = spawn(
      node24.bin,
      [
        join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(REPO, 'bench', 'rerun-child.ts'),
        JSON.stringify(request)
      ],
      {
        cwd: REPO,
        stdio: ['pipe', 'pipe', 'inherit']
      }
    )
    child.stdin.end()
    result = await firstJsonLine<RerunResult>(child)
    if ((await exited(child)) !== 0) throw new Error('the rerun child failed')
  } finally {
    await server.stop()
  }
  const { first, again } = result
  log(
    `profile ${result.profile}; first run: main ${first.mainS.toFixed(2)} s (exit ${first.code}, pushed ${first.pushed}), post ${first.postS.toFixed(2)} s`
  )
  log(
    `second run: main ${again.mainS.toFixed(2)} s (exit ${again.code}, built ${again.built}, pushed ${again.pushed}, skipped ${again.skipped}), post ${again.postS.toFixed(2)} s`
  )
  const phases = result.phases.map(
    ([name, at], i) => `${name} ${(((result.phases[i + 1]?.[1] ?? again.mainS * 1000) - at) / 1000).toFixed(2)} s`
  )
  log(
    `second run's main by group (from its output): start ${((result.phases[0]?.[1] ?? 0) / 1000).toFixed(2)} s, ${phases.join(', ')}`
  )
  log(
    `evaluation alone (hostSystems + hostDetails, as the Hosts group): ${result.evalMs.map(ms => seconds(ms)).join(', ')}`
  )
  const evalMs = best(result.evalMs, ms => ms)
  const rerunMs = (again.mainS + again.postS) * 1000
  const valid = again.code === 0 && again.built === '0' && again.pushed === '0' && first.code === 0
  if (!valid) log('INVALID RUN: the second run did not skip everything as cached (or the first failed)')
  const target = evalMs + SLACK_MS
  return [
    [
      'no-op rerun, all hosts cached: main + post',
      `${seconds(rerunMs)} (main ${again.mainS.toFixed(2)} s, post ${again.postS.toFixed(2)} s; evaluation ${seconds(evalMs)})`,
      `<= eval + 2 s = ${seconds(target)}`,
      valid ? judged(rerunMs, target, false, true) : 'FAIL (not a no-op)'
    ]
  ]
}
