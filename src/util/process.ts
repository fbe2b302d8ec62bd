import { spawn, type SpawnOptions } from 'node:child_process'

export interface RunOptions {
  input?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Exit codes that are not errors. */
  okCodes?: number[]
}

export interface RunResult {
  stdout: string
  stderr: string
  code: number
}

// The action's inputs (token, signing key, github-token) and credentials a user may have exported
// for Cachix's own tools. The action and the CLI read them in-process; no child ever needs them.
const SECRET_VARIABLES = new Set(['CACHIX_AUTH_TOKEN', 'CACHIX_SIGNING_KEY'])
// The runner's tokens for its own services: the toolkit's cache client needs them in this process, children do not.
const RUNNER_TOKENS = new Set(['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'])

function isSecretVariable(name: string): boolean {
  return name.startsWith('INPUT_') || SECRET_VARIABLES.has(name)
}

/**
 * The environment every child process gets (nix, nix-store, zstd, sudo, the installer): the
 * given one without the action's inputs, Cachix credentials or the runner's tokens.
 */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(env))
    if (!isSecretVariable(name) && !RUNNER_TOKENS.has(name)) clean[name] = value
  return clean
}

/**
 * Removes the inputs and Cachix credentials from this process's own environment once they are
 * read, so a child spawned without an explicit environment cannot inherit them either.
 */
export function forgetSecretEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of Object.keys(env)) if (isSecretVariable(name)) delete env[name]
}

/** Runs a program with an argument array (never a shell) and returns its output. */
export async function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const spawnOptions: SpawnOptions = {
    env: childEnv(options.env ?? process.env),
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe']
  }
  const child = spawn(command, args, spawnOptions)
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk))
  child.stdin?.on('error', () => undefined)
  child.stdin?.end(options.input ?? '')
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', error => reject(new Error(`could not start ${command}: ${error.message}`)))
    child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)))
  })
  const result = {
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
    code
  }
  if (code !== 0 && !(options.okCodes ?? []).includes(code)) {
    throw new CommandError(command, args, result)
  }
  return result
}

class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly result: RunResult
  ) {
    super(
      `${command} ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' …' : ''} failed with exit code ${result.code}: ${lastLine(result.stderr) || 'no error output'}`
    )
  }
}

/** The last non-empty line, which is where Nix and most tools put the actual error. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map(l => l.trim())
    .filter(l => l !== '')
  return lines[lines.length - 1] ?? ''
}
