import type { ChildProcess } from 'node:child_process'
import { detailsExpression, systemsExpression } from '../src/hosts/configurations.js'
import { runCommand } from '../src/util/process.js'
import { hostedSession, RUNNER_PATH } from '../harness/hosted/session.js'
import { newJob, runStep, type RunnerFiles, type StepResult } from '../harness/runner.js'
import { sampleFlake } from '../harness/sample-flake.js'

// A child entry, run with tsx as root: the action's main and post steps as harness/runner.ts
// runs them (its default profile: a hosted runner's user, daemon and Node 24), first on a
// fresh sample flake (builds and pushes), then again with every host cached. The evaluation
// the action cannot skip, run the same way on its own, is the yardstick.

export interface RerunRequest {
  serverUrl: string
  cache: string
  token: string
}

export interface RerunResult {
  profile: string
  first: { mainS: number; postS: number; code: number | null; pushed: string }
  again: { mainS: number; postS: number; code: number | null; built: string; pushed: string; skipped: string }
  /** The second run's main step: each group's name and when it began (ms). */
  phases: [string, number][]
  evalMs: number[]
}

const request = JSON.parse(process.argv[2] ?? '{}') as RerunRequest
const flake = await sampleFlake()
const inputs = {
  cachix: request.cache,
  'cachix-url': request.serverUrl,
  'cachix-auth-token': request.token,
  system: 'x86_64-linux'
}

/** When each `::group::` line of a step's stdout arrived, ms after the step started. */
function phaseTimer(): { onStart: (child: ChildProcess) => void; phases: [string, number][] } {
  const phases: [string, number][] = []
  return {
    phases,
    onStart: child => {
      const started = performance.now()
      let partial = ''
      child.stdout?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n')
        partial = lines.pop() ?? ''
        for (const line of lines)
          if (line.startsWith('::group::')) phases.push([line.slice(9), performance.now() - started])
      })
    }
  }
}

async function leg(): Promise<{ main: StepResult; post: StepResult; job: RunnerFiles; phases: [string, number][] }> {
  const job = await newJob()
  const timer = phaseTimer()
  const main = await runStep({ step: 'main', job, cwd: flake, inputs, onStart: timer.onStart })
  const post = await runStep({ step: 'post', job, cwd: flake, inputs })
  if (main.code !== 0)
    process.stderr.write(
      `rerun: main exited ${main.code}: ${main.stdout
        .split('\n')
        .filter(l => l.startsWith('::error'))
        .join(' | ')}\n`
    )
  return { main, post, job, phases: timer.phases }
}

/** `nix eval` as the step's user would run it, with the job's nix.conf (and daemon, when hosted). */
async function evalAsStep(job: RunnerFiles, args: string[]): Promise<string> {
  if (job.profile === 'root')
    return (await runCommand('nix', args, { cwd: flake, env: { ...process.env, NIX_CONF_DIR: job.nixConfDir } })).stdout
  const session = await hostedSession()
  const step = session.asRunner(['nix', ...args])
  const env = { PATH: RUNNER_PATH, HOME: session.user.home, USER: session.user.name, ...session.stepEnv(), ...step.env }
  return (await runCommand(step.command, step.args, { cwd: flake, env })).stdout
}

const first = await leg()
const again = await leg()
// The same two evaluations the action's Hosts group makes.
const evalMs: number[] = []
const nix = [
  '--extra-experimental-features',
  'nix-command flakes',
  'eval',
  '--json',
  '.#nixosConfigurations',
  '--apply'
]
for (let i = 0; i < 2; i++) {
  const started = performance.now()
  const systems = JSON.parse(await evalAsStep(again.job, [...nix, systemsExpression('nixos')])) as Record<
    string,
    string
  >
  await evalAsStep(again.job, [
    ...nix,
    detailsExpression(
      'nixos',
      Object.keys(systems).filter(h => systems[h] === 'x86_64-linux')
    )
  ])
  evalMs.push(performance.now() - started)
}
const result: RerunResult = {
  profile: again.job.profile,
  first: {
    mainS: first.main.seconds,
    postS: first.post.seconds,
    code: first.main.code,
    pushed: first.main.outputs.pushed ?? ''
  },
  again: {
    mainS: again.main.seconds,
    postS: again.post.seconds,
    code: again.main.code,
    built: again.main.outputs.built ?? '',
    pushed: again.main.outputs.pushed ?? '',
    skipped: again.main.outputs['skipped-hosts'] ?? ''
  },
  phases: again.phases,
  evalMs
}
process.stdout.write(`${JSON.stringify(result)}\n`)
process.exit(0)
