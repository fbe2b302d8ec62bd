import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))

/** The path of a source module, as a string literal for a script's import(). */
export function sourceModule(...parts: string[]): string {
  return JSON.stringify(join(REPO, 'src', ...parts))
}

/**
 * Runs an ES module `script` in a fresh node process (the engine's TypeScript loaded by tsx) and
 * waits until it exits by itself: what it printed, and its exit code or 'hung' after 20 s (it
 * is then killed). For "does this leave the process alive" questions.
 */
export async function runModuleScript(
  script: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<{ code: number | 'hung'; stdout: string }> {
  // The environment is passed on explicitly: jest's process.env is not the one spawn would use.
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  const code = await new Promise<number | 'hung'>(resolve => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve('hung')
    }, 20_000)
    child.once('exit', exitCode => {
      clearTimeout(timer)
      resolve(exitCode ?? -1)
    })
  })
  return { code, stdout }
}
