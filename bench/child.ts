import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '../src/util/process.js'
import { config } from './config.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const ENTRIES = ['bench/push-one.ts', 'bench/server-process.ts']
let compiled: Promise<string> | undefined

/**
 * The child entry points compiled to plain JavaScript with the repo's own tsc and
 * tsconfig, so a child runs as the shipped action does: no loader in the process,
 * no esbuild service beside it, nothing extra in its memory.
 */
export function compileChildren(): Promise<string> {
  compiled ??= (async () => {
    const outDir = join(config.dir, 'js')
    await mkdir(outDir, { recursive: true })
    const tsconfig = join(outDir, 'tsconfig.json')
    const compilerOptions = { outDir, rootDir: REPO, noEmit: false, typeRoots: [join(REPO, 'node_modules', '@types')] }
    await writeFile(tsconfig, JSON.stringify({ extends: join(REPO, 'tsconfig.json'), compilerOptions, include: [], files: ENTRIES.map(e => join(REPO, e)) }))
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
    const { code, stdout } = await run(process.execPath, [tsc, '-p', tsconfig], { okCodes: [1, 2] })
    if (code !== 0) throw new Error(`compiling the bench children failed:\n${stdout}`)
    await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n')
    return outDir
  })()
  return compiled
}

/** Starts a compiled bench entry (e.g. 'push-one') in a fresh node process. */
export async function spawnChild(entry: string, args: string[]): Promise<ChildProcess> {
  const file = join(await compileChildren(), 'bench', `${entry}.js`)
  return spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
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
