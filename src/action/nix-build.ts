import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface BuildRun {
  child: ChildProcess
  /** Exit code (130 after SIGINT). */
  done: Promise<number>
  /** stdout, which holds the --json result. */
  stdout: () => string
  interrupt: () => void
}

export function buildArgs(installables: string[], options: { keepGoing: boolean; extraArgs: string[] }): string[] {
  const args = ['--extra-experimental-features', 'nix-command flakes', 'build', '--no-link', '--json', '--print-build-logs']
  if (options.keepGoing) args.push('--keep-going')
  return [...args, ...options.extraArgs, ...installables]
}

/** Starts one `nix build` for all installables, so they share one build graph; each stderr line goes to `onLine`. */
export function startBuild(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): BuildRun {
  const child = spawn('nix', args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  const lines = createInterface({ input: child.stderr! })
  lines.on('line', onLine)
  const done = new Promise<number>(resolve => {
    child.on('error', () => resolve(127))
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)))
  })
  return { child, done, stdout: () => stdout, interrupt: () => child.kill('SIGINT') }
}

export interface DryRunPlan {
  toBuild: string[]
  toFetch: string[]
  /** Paths neither buildable (no derivation known) nor substitutable: e.g. a reference missing from the cache. */
  unknown: string[]
}

/** Reads `nix build --dry-run` stderr: the derivations it would build and the paths it would fetch. */
export function parseDryRun(stderr: string): DryRunPlan {
  const plan: DryRunPlan = { toBuild: [], toFetch: [], unknown: [] }
  let section: string[] | undefined
  for (const line of stderr.split('\n')) {
    if (/^(this derivation|these \d+ derivations) will be built:/.test(line)) section = plan.toBuild
    else if (/^(this path|these \d+ paths) will be fetched/.test(line)) section = plan.toFetch
    else if (/^don't know how to build these paths/.test(line)) section = plan.unknown
    else if (/^\s+\/nix\/store\//.test(line) && section) section.push(line.trim())
    else section = undefined
  }
  return plan
}
