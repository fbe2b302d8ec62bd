import type { BuildResult } from '../nix-build/build-and-push.js'
import type { FinalPush } from '../push/final-push.js'
import type { Finding } from './finding.js'
import type { HostInfo } from '../hosts/flake.js'
import type { HostResult, RunStatus } from './summary.js'

/**
 * Each host's row: cached (skipped by the cache check), built (its toplevel is valid now), or
 * else unfinished when the build was stopped and failed when it ran to its end.
 */
export function hostResults(
  hosts: HostInfo[],
  cached: ReadonlySet<string>,
  valid: ReadonlySet<string>,
  build: BuildResult | undefined
): HostResult[] {
  return hosts.map(host => {
    const result: HostResult = {
      id: host.id,
      system: host.system,
      toplevel: host.outPath,
      status: 'cached',
      built: 0,
      substituted: 0,
      pushed: 0,
      pushedBytes: 0,
      seconds: 0,
      imports: host.imports
    }
    if (cached.has(host.outPath)) return result
    result.status = valid.has(host.outPath) ? 'built' : build?.interrupted ? 'unfinished' : 'failed'
    result.seconds = (build?.finishedAt.get(host.outPath) ?? (build ? build.seconds * 1000 : 0)) / 1000
    return result
  })
}

/**
 * What the build phase reports, in order: what the build warned about itself (already in the log), nix build's exit, each
 * failed derivation (`failedBuilds`), and a time budget that ran out.
 */
export function buildFindings(
  results: HostResult[],
  build: BuildResult | undefined,
  failedBuilds: Finding[],
  timeBudgetMinutes: number | undefined
): Finding[] {
  const findings: Finding[] = (build?.warnings ?? []).map(message => ({ level: 'warning', message, announced: true }))
  if (build && build.exitCode !== 0) {
    const failed = results.filter(r => r.status === 'failed').map(r => r.id)
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
    const unfinished = results.filter(r => r.status === 'unfinished').map(r => r.id)
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
  const unfinished = results.filter(r => r.status === 'failed' || r.status === 'unfinished').map(r => r.id)
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

/** What the final push reports: what it could not check or push, and what push-filter kept out. */
export function pushFindings(push: FinalPush, drainTimeoutSeconds: number): Finding[] {
  const findings: Finding[] = []
  const coverage = push.coverage ?? { filtered: [], missing: [] }
  // The cache stopped answering while the job ran: nothing says the push is complete. (A fatal stop says why itself.)
  if (push.unchecked !== undefined && push.fatal === undefined)
    findings.push({
      level: 'error',
      pushProblem: true,
      message: `the cache stopped answering, so what it lacks of the built closures is unknown (${push.unchecked}): re-run the job once Cachix answers again, so that whatever is missing is pushed`
    })
  if (coverage.filtered.length > 0) {
    findings.push({
      level: 'notice',
      message: `${coverage.filtered.length} paths of the closures are excluded from pushing (push-filter or defaults) and will be built by machines that need them`
    })
  }
  if (coverage.missing.length > 0) {
    findings.push({
      level: 'warning',
      message: `${coverage.missing.length} paths of the built closures are not in the cache: ${coverage.missing.slice(0, 5).join(', ')}${coverage.missing.length > 5 ? ' …' : ''}`
    })
  }
  // A token revoked or a cache deleted while the job ran: an error to act on, though the build is fine.
  if (push.fatal) findings.push({ level: 'error', pushProblem: true, message: `pushing stopped: ${push.fatal}` })
  for (const failure of push.failures.slice(0, 10))
    findings.push({ level: 'warning', message: `push failed for ${failure.path}: ${failure.error}` })
  if (push.leftovers.length > 0)
    findings.push({
      level: 'warning',
      message: `${push.leftovers.length} paths were not pushed before drain-timeout (${drainTimeoutSeconds} s)`
    })
  return findings
}
