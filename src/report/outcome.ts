import type { Finding } from './finding.js'
import type { HostInfo } from '../hosts/flake.js'
import type { HostResult, RunStatus } from './summary.js'

/** What the report needs of the build phase (a BuildOutcome, or nothing when there was nothing to build). */
export interface BuildSummary {
  exitCode: number
  interrupted?: 'time-budget' | 'cancelled'
  seconds: number
  /** When each output became valid, ms since the build started. */
  finishedAt: Map<string, number>
  /** What the build reported about itself (a hook that never ran). */
  findings: Finding[]
}

/**
 * Each host's row: cached (skipped by the cache check), built (its toplevel is valid now), or
 * else unfinished when the build was stopped and failed when it ran to its end.
 */
export function hostResults(
  hosts: HostInfo[],
  cached: ReadonlySet<string>,
  valid: ReadonlySet<string>,
  build: BuildSummary | undefined
): HostResult[] {
  return hosts.map(host => {
    const result: HostResult = {
      name: host.name,
      system: host.system,
      toplevel: host.outPath,
      status: 'cached',
      built: 0,
      substituted: 0,
      pushed: 0,
      pushedBytes: 0,
      seconds: 0
    }
    if (cached.has(host.outPath)) return result
    result.status = valid.has(host.outPath) ? 'built' : build?.interrupted ? 'unfinished' : 'failed'
    result.seconds = (build?.finishedAt.get(host.outPath) ?? (build ? build.seconds * 1000 : 0)) / 1000
    return result
  })
}

/**
 * What the build phase reports, in order: what the build said of itself, nix build's exit, each
 * failed derivation (`failedBuilds`), and a time budget that ran out.
 */
export function buildFindings(
  results: HostResult[],
  build: BuildSummary | undefined,
  failedBuilds: Finding[],
  timeBudgetMinutes: number | undefined
): Finding[] {
  const findings: Finding[] = [...(build?.findings ?? [])]
  if (build && build.exitCode !== 0) {
    const failed = results.filter(r => r.status === 'failed').map(r => r.name)
    findings.push({
      level: 'error',
      message:
        failed.length > 0
          ? `build failed for ${failed.join(', ')} (nix build exited ${build.exitCode}); everything that did build was pushed`
          : `nix build exited ${build.exitCode}`
    })
  }
  findings.push(...failedBuilds)
  if (build?.interrupted === 'time-budget') {
    const unfinished = results.filter(r => r.status === 'unfinished').map(r => r.name)
    findings.push({
      level: 'error',
      message: `the time budget of ${timeBudgetMinutes} min ran out: ${unfinished.join(', ') || 'nothing'} not finished`
    })
  }
  return findings
}

/** Why the step fails, or undefined when it passes. */
export function stepFailure(
  results: HostResult[],
  status: RunStatus,
  failOnPushError: boolean,
  findings: Finding[] = []
): string | undefined {
  const unfinished = results.filter(r => r.status === 'failed' || r.status === 'unfinished').map(r => r.name)
  if (unfinished.length > 0) return `build failed: ${unfinished.join(', ')}`
  // An error with every host fine: a host that does not evaluate, a pre-warm attribute that failed.
  if (status === 'failed')
    return (
      findings.find(f => f.level === 'error' && f.pushProblem !== true)?.message.split('\n')[0] ??
      'failed: see the findings'
    )
  if (failOnPushError && status === 'problems') {
    const cause = findings.find(f => f.pushProblem === true)?.message.split('\n')[0]
    return `pushing had problems and fail-on-push-error is true${cause === undefined ? '' : `: ${cause}`}`
  }
  return undefined
}

/** The log group of the build phase. */
export function buildGroupName(installables: number): string {
  return `Build ${installables} installable${installables === 1 ? '' : 's'}`
}

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
