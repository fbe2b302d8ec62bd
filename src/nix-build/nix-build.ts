import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { NIX_FLAKES_ARGS } from '../nix/command.js'
import { childEnv } from '../util/process.js'

export interface NixBuildProcess {
  child: ChildProcess
  /** Exit code (130 after SIGINT, 143 after SIGTERM, 137 after SIGKILL). */
  done: Promise<number>
  /** Asks nix to stop: SIGINT, then SIGTERM after `graceMs`, then SIGKILL after another `graceMs`. */
  stop: (graceMs?: number) => void
}

/** How long nix gets to act on SIGINT, and then on SIGTERM, before the next signal. */
export const STOP_GRACE_MS = 10_000

/** ms the build may run before it must stop so the drain and nix's stop still fit the budget; undefined without a budget. */
export function buildBudgetMs(
  timeBudgetMinutes: number | undefined,
  drainTimeoutSeconds: number,
  stopGraceMs: number,
  elapsedMs: number
): number | undefined {
  if (timeBudgetMinutes === undefined) return undefined
  // Stopping nix may take its two grace periods (SIGINT, then SIGTERM, then SIGKILL): they come out of the build's share, not the drain's.
  return Math.max(0, timeBudgetMinutes * 60_000 - drainTimeoutSeconds * 1000 - 2 * stopGraceMs - elapsedMs)
}

export function buildArgs(installables: string[], options: { keepGoing: boolean; extraArgs: string[] }): string[] {
  const args = [...NIX_FLAKES_ARGS, 'build', '--no-link', '--print-build-logs']
  if (options.keepGoing) args.push('--keep-going')
  return [...args, ...options.extraArgs, ...installables]
}

const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGKILL: 137 }

/** Starts one `nix build` for all installables, so they share one build graph; each stderr line goes to `onLine`. */
export function startBuild(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): NixBuildProcess {
  const child = spawn('nix', args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  // What nix build prints on stdout (nothing without --json) is not needed: the spool says what was built.
  child.stdout?.resume()
  const lines = createInterface({ input: child.stderr })
  lines.on('line', onLine)
  const timers: NodeJS.Timeout[] = []
  let stopping = false
  const done = new Promise<number>(resolve => {
    child.on('error', () => resolve(127))
    child.on('close', (code, signal) => resolve(code ?? SIGNAL_CODES[signal ?? 'SIGINT'] ?? 1))
    // A nix that had to be stopped may leave processes that still hold its pipes: once it is
    // gone, wait for them only briefly (not at all after SIGKILL).
    child.on('exit', (code, signal) => {
      if (!stopping) return
      const give = (): void => {
        child.stdout?.destroy()
        child.stderr?.destroy()
        resolve(code ?? SIGNAL_CODES[signal ?? 'SIGKILL'] ?? 1)
      }
      if (signal === 'SIGKILL') give()
      else timers.push(setTimeout(give, 1000))
    })
  }).finally(() => {
    for (const timer of timers) clearTimeout(timer)
  })
  const stop = (graceMs = STOP_GRACE_MS): void => {
    if (stopping || child.exitCode !== null || child.signalCode !== null) return
    stopping = true
    child.kill('SIGINT')
    timers.push(
      setTimeout(() => child.kill('SIGTERM'), graceMs),
      setTimeout(() => child.kill('SIGKILL'), 2 * graceMs)
    )
  }
  return { child, done, stop }
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
