import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { existsSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCommand } from '../src/util/process.js'
import { config } from './config.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const ENTRIES = [
  'bench/push-one.ts',
  'bench/server-process.ts',
  'bench/null-server.ts',
  'bench/bound-child.ts',
  'bench/build-push.ts'
]
let compiled: Promise<string> | undefined

/**
 * The child entry points compiled to plain JavaScript with the repo's own tsc and
 * tsconfig, so a child runs as the shipped action does: no loader in the process,
 * no esbuild service beside it, nothing extra in its memory.
 */
export function compileChildren(): Promise<string> {
  compiled ??= (async () => {
    // One directory per bench process: another bench run compiling at the same time (of a
    // tree mid-edit) must not swap the modules under this one's children.
    const outDir = join(config.dir, `js-${process.pid}`)
    await mkdir(outDir, { recursive: true })
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }))
    const tsconfig = join(outDir, 'tsconfig.json')
    const compilerOptions = { outDir, rootDir: REPO, noEmit: false, typeRoots: [join(REPO, 'node_modules', '@types')] }
    await writeFile(
      tsconfig,
      JSON.stringify({
        extends: join(REPO, 'tsconfig.json'),
        compilerOptions,
        include: [],
        files: ENTRIES.map(e => join(REPO, e))
      })
    )
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
    const { code, stdout } = await runCommand(process.execPath, [tsc, '-p', tsconfig], { okCodes: [1, 2] })
    // tsc still emits on type errors; a half-edited tree elsewhere should not stop a bench run, but it is said.
    if (code !== 0 && !existsSync(join(outDir, 'bench', 'push-one.js')))
      throw new Error(`compiling the bench children failed:\n${stdout}`)
    if (code !== 0)
      process.stderr.write(
        `warning: the bench children compiled with type errors:\n${stdout.split('\n').slice(0, 10).join('\n')}\n`
      )
    await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n')
    // The action's modules import npm packages (@actions/core): resolve them from the repo's.
    if (!existsSync(join(outDir, 'node_modules')))
      await symlink(join(REPO, 'node_modules'), join(outDir, 'node_modules'))
    return outDir
  })()
  return compiled
}

export interface ChildOptions {
  /** The node binary (default: the one running the bench). */
  node?: string
  env?: NodeJS.ProcessEnv
  /** Its own process group, so a hung child and everything it started can be stopped at once. */
  group?: boolean
}

/** Starts a compiled bench entry (e.g. 'push-one') in a fresh node process. */
export async function spawnChild(entry: string, args: string[], options: ChildOptions = {}): Promise<ChildProcess> {
  const file = join(await compileChildren(), 'bench', `${entry}.js`)
  const profile =
    process.env.BENCH_CPU_PROF !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
  return spawn(options.node ?? process.execPath, [...profile, file, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: options.env ?? process.env,
    detached: options.group ?? false
  })
}

/**
 * Kills the process group of a child started with `group` (the child and what it started)
 * when `work` takes longer than `ms`: a hung push is a result to report, not a bench that never ends.
 */
export async function withDeadline<T>(child: ChildProcess, ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
      reject(
        new Error(`${what} did not finish in ${(ms / 1000).toFixed(1)} s (hung?): stopped it and everything it started`)
      )
    }, ms)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** The first stdout line of a child, parsed as JSON. */
export function firstJsonLine<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8')
      const newline = buffered.indexOf('\n')
      if (newline < 0) return
      child.stdout?.off('data', onData)
      try {
        resolve(JSON.parse(buffered.slice(0, newline)) as T)
      } catch (error: unknown) {
        reject(new Error(`child printed something other than JSON: ${buffered.slice(0, 200)}`, { cause: error }))
      }
    }
    child.stdout?.on('data', onData)
    child.once('error', reject)
    child.once('exit', code => reject(new Error(`child exited with code ${code} before printing its result`)))
  })
}

export function exited(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  return new Promise(resolve => child.once('exit', code => resolve(code ?? 1)))
}
