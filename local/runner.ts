import { spawn } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'

export const REPO = resolve(import.meta.dirname, '..')
export const FAKE_GITHUB_TOKEN = 'ghs_fakeGithubTokenForTests0123456789'

export interface RunnerFiles {
  dir: string
  output: string
  state: string
  env: string
  path: string
  summary: string
  runnerTemp: string
  nixConfDir: string
  /** What nix.conf held before any step ran. */
  baseNixConf: string
}

// Debian's nix.conf turns the sandbox off; the build of the other Nix (modern-nix.sh) needs its own
// settings (no nixbld group), so a run against it points BASE_NIX_CONF at that file.
async function defaultBaseNixConf(): Promise<string> {
  const file = process.env.BASE_NIX_CONF
  const base = file ? await readFile(file, 'utf8') : 'sandbox = false\n'
  return `${base.replace(/\n?$/, '\n')}substituters =\n`
}

/** The files a GitHub runner gives a step, in a fresh directory. One set per job. */
export async function newJob(baseNixConf?: string): Promise<RunnerFiles> {
  const base = baseNixConf ?? (await defaultBaseNixConf())
  const dir = await mkdtemp(join(tmpdir(), 'job-'))
  const files = {
    dir,
    output: join(dir, 'github_output'),
    state: join(dir, 'github_state'),
    env: join(dir, 'github_env'),
    path: join(dir, 'github_path'),
    summary: join(dir, 'step_summary'),
    runnerTemp: await mkdtemp(join(dir, 'runner-temp-')),
    nixConfDir: await mkdtemp(join(dir, 'etc-nix-')),
    baseNixConf: base
  }
  for (const file of [files.output, files.state, files.env, files.path, files.summary]) await writeFile(file, '')
  await writeFile(join(files.nixConfDir, 'nix.conf'), base)
  return files
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
  step: 'main' | 'post' | 'plan'
  /** The action.yml whose defaults fill unset inputs (default: the main action). */
  actionFile?: string
  job: RunnerFiles
  cwd: string
  inputs: Record<string, string>
  env?: Record<string, string>
  /** Called with the child as soon as it runs (to signal it). */
  onStart?: (child: ReturnType<typeof spawn>) => void
}

/** Runs dist/<step>/index.js exactly as the runner does: INPUT_*, file commands, STATE_* for post. */
export async function runStep(options: StepOptions): Promise<StepResult> {
  const inputs = { ...(await actionDefaults(options.actionFile ?? join(REPO, 'action.yml'))), ...options.inputs }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: options.job.output,
    GITHUB_STATE: options.job.state,
    GITHUB_ENV: options.job.env,
    GITHUB_PATH: options.job.path,
    GITHUB_STEP_SUMMARY: options.job.summary,
    RUNNER_TEMP: options.job.runnerTemp,
    RUNNER_OS: 'Linux',
    NIX_CONF_DIR: options.job.nixConfDir,
    NIX_CACHIX_BUILD_HEARTBEAT_SECONDS: '2',
    ...options.env
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  if (options.step === 'post') {
    for (const [name, value] of Object.entries(parseFileCommands(await readFile(options.job.state, 'utf8')))) env[`STATE_${name}`] = value
  }
  const started = Date.now()
  const child = spawn(process.execPath, [join(REPO, 'dist', options.step, 'index.js')], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  options.onStart?.(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolvePromise => child.on('close', (c, s) => resolvePromise([c, s])))
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
