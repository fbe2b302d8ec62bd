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

/** Runs a program with an argument array (never a shell) and returns its output. */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const spawnOptions: SpawnOptions = { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] }
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
  const result = { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), code }
  if (code !== 0 && !(options.okCodes ?? []).includes(code)) {
    throw new CommandError(command, args, result)
  }
  return result
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly result: RunResult
  ) {
    super(`${command} ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' …' : ''} failed with exit code ${result.code}: ${lastLine(result.stderr) || 'no error output'}`)
  }
}

/** The last non-empty line, which is where Nix and most tools put the actual error. */
export function lastLine(text: string): string {
  const lines = text.split('\n').map(l => l.trim()).filter(l => l !== '')
  return lines[lines.length - 1] ?? ''
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error)
  } catch {
    return String(error)
  }
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
