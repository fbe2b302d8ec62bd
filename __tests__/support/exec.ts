import { spawn } from 'node:child_process'
import type { RunResult } from '../../src/util/process.js'

/**
 * Runs a program with exactly the environment given, as a user's shell would. The product's own
 * run() takes credentials out of every child's environment, which is right for the action and
 * wrong for a test that hands the CLI its token the way a user does.
 */
export async function execWithEnv(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  okCodes: number[] = [],
  cwd?: string
): Promise<RunResult> {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)))
  })
  const result = {
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
    code
  }
  if (code !== 0 && !okCodes.includes(code))
    throw new Error(`${command} exited ${code}: ${result.stderr.trim().split('\n').pop() ?? ''}`)
  return result
}
