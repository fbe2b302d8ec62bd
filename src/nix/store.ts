import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { chunks } from '../util/arrays.js'
import { childEnv, lastLine, runCommand } from '../util/process.js'
import { readFile } from 'node:fs/promises'
import { storeRoot } from '../util/knobs.js'
import { derivationFileOutputMap } from './format/derivation-file.js'
import { dependenciesFirst, parsePathInfoJson, type PathInfo } from './format/path-info.js'
import { runNix } from './command.js'

// Long argument lists are split so no call comes near the kernel's ARG_MAX.
const PATHS_PER_CALL = 2000

/** Read-only queries against the local Nix store, portable from Nix 2.8 to current releases. */
export class NixStore {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** The runtime closure of `paths`, dependencies before dependents. */
  async closure(paths: string[]): Promise<string[]> {
    if (paths.length === 0) return []
    const seen = new Set<string>()
    const ordered: string[] = []
    for (const batch of chunks(paths, PATHS_PER_CALL)) {
      const { stdout } = await runCommand('nix-store', ['--query', '--requisites', ...batch], { env: this.env })
      for (const line of stdout.split('\n')) {
        if (line !== '' && !seen.has(line)) {
          seen.add(line)
          ordered.push(line)
        }
      }
    }
    return ordered
  }

  /** Metadata for many paths in few calls; invalid paths are absent from the map. */
  async pathInfos(paths: string[]): Promise<Map<string, PathInfo>> {
    const infos = new Map<string, PathInfo>()
    for (const batch of chunks(paths, PATHS_PER_CALL)) {
      const { stdout } = await runNix(['path-info', '--json', ...batch], { env: this.env, okCodes: [1] })
      if (stdout.trim() === '') continue
      for (const info of parsePathInfoJson(JSON.parse(stdout))) infos.set(info.path, info)
    }
    return infos
  }

  async isValid(path: string): Promise<boolean> {
    const { code } = await runCommand('nix-store', ['--check-validity', path], { env: this.env, okCodes: [1] })
    return code === 0
  }

  /** Which of `paths` are valid, in one program start per batch rather than one per path. */
  async validPaths(paths: Iterable<string>): Promise<Set<string>> {
    const unique = [...new Set(paths)]
    const valid = new Set(unique)
    for (const batch of chunks(unique, PATHS_PER_CALL)) {
      const { stdout } = await runCommand('nix-store', ['--check-validity', '--print-invalid', ...batch], {
        env: this.env
      })
      for (const line of stdout.split('\n')) valid.delete(line)
    }
    return valid
  }

  /**
   * The outputs of a derivation (Nix 2.8's post-build-hook gets no OUT_PATHS), read from the
   * .drv file itself when it names them, which saves a program start per built derivation.
   */
  async derivationOutputs(drvPath: string): Promise<string[]> {
    const named = await this.outputsInDrvFile(drvPath)
    if (named !== undefined) return [...named.values()]
    const { stdout } = await runCommand('nix-store', ['--query', '--outputs', drvPath], { env: this.env })
    return stdout.split('\n').filter(l => l !== '')
  }

  /** The path of one output of a derivation (an import from derivation Nix named), from the .drv file when it says. */
  async derivationOutput(drvPath: string, output: string): Promise<string | undefined> {
    const named = (await this.outputsInDrvFile(drvPath))?.get(output)
    if (named !== undefined) return named
    // Content-addressed: the output has a path only once realised.
    const { stdout } = await runNix(['path-info', `${drvPath}^${output}`], { env: this.env, okCodes: [1] })
    return stdout.split('\n').find(line => line.startsWith('/'))
  }

  private async outputsInDrvFile(drvPath: string): Promise<Map<string, string> | undefined> {
    const text = await readFile(`${storeRoot(this.env)}${drvPath}`, 'utf8').catch(() => undefined)
    return text === undefined ? undefined : derivationFileOutputMap(text)
  }

  /**
   * The closure of `paths` with every path's metadata, dependencies before dependents, from one
   * `nix path-info --recursive`. Undefined when a root is not valid (callers then ask path by path).
   */
  async closureInfos(paths: string[]): Promise<PathInfo[] | undefined> {
    if (paths.length === 0) return []
    if (paths.length > PATHS_PER_CALL) return undefined
    const { stdout, code } = await runNix(['path-info', '--recursive', '--json', ...paths], {
      env: this.env,
      okCodes: [1]
    })
    if (code !== 0) return undefined
    const infos = parsePathInfoJson(JSON.parse(stdout))
    const found = new Set(infos.map(info => info.path))
    if (paths.some(p => !found.has(p))) return undefined
    return dependenciesFirst(infos)
  }

  /** The NAR serialisation of `path`, streamed; the stream errors if nix-store fails. */
  dumpNar(path: string): NarStream {
    const child = spawn('nix-store', ['--dump', path], { env: childEnv(this.env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', error => reject(new Error(`could not start nix-store --dump: ${error.message}`)))
      child.on('close', code =>
        code === 0
          ? resolve()
          : reject(new Error(`nix-store --dump ${path} failed: ${lastLine(stderr) || `exit code ${code}`}`))
      )
    })
    // Handled from the start: an upload that failed elsewhere may never await it.
    done.catch(() => undefined)
    return { stream: child.stdout, done, kill: () => child.kill('SIGKILL') }
  }
}

export interface NarStream {
  stream: Readable
  done: Promise<void>
  kill: () => void
}
