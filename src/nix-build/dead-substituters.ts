import { showNixConfig } from '../nix/conf/file.js'
import { buildAndPush, type BuildResult, type BuildOptions } from './build-and-push.js'

/**
 * Follows `nix build`'s stderr for substituters that stopped answering. Nix disables such a
 * cache ("disabling binary cache '…' for 60 seconds") and goes on, but up to at least Nix 2.8
 * the query that was under way still fails the whole build ("error: unable to download '…'"),
 * `fallback` or not: a cache that goes down while the job runs would stop the build.
 */
export class DeadSubstituters {
  private readonly disabled = new Set<string>()
  private readonly failedBuild = new Set<string>()

  onLine(line: string): void {
    const disabled = /^disabling binary cache '([^']+)' for \d+ seconds/.exec(line)
    if (disabled) this.disabled.add(disabled[1])
    const failed = /^error: unable to download '([^']+)'/.exec(line)
    if (failed) this.failedBuild.add(failed[1])
  }

  /** The disabled substituters whose failure ended a build. */
  culprits(): string[] {
    return [...this.disabled].filter(cache => [...this.failedBuild].some(url => url.startsWith(`${cache}/`)))
  }
}

/** The `substituters` value of `nix config show`, without `dead`. */
export function substitutersWithout(showConfig: string, dead: string[]): string[] {
  const line = /^substituters = (.*)$/m.exec(showConfig)?.[1] ?? ''
  return line.split(/\s+/).filter(s => s !== '' && !dead.includes(s.replace(/\/+$/, '')) && !dead.includes(s))
}

/** Two runs of the build as one: the first run's timings stand, the second's result decides. */
export function mergeOutcomes(first: BuildResult, second: BuildResult): BuildResult {
  const finishedAt = new Map(second.finishedAt)
  for (const [path, ms] of first.finishedAt) finishedAt.set(path, ms)
  return {
    ...second,
    builtDrvs: [...new Set([...first.builtDrvs, ...second.builtDrvs])],
    builtOutputs: [...new Set([...first.builtOutputs, ...second.builtOutputs])],
    finishedAt,
    seconds: first.seconds + second.seconds,
    warnings: [...first.warnings, ...second.warnings.filter(w => !first.warnings.includes(w))]
  }
}

/**
 * The build, and once more without the substituters that stopped answering when that is what
 * failed it: what the other caches and this runner can do is done whatever one cache does.
 * `remainingMs` gives the second run what is left of the time budget.
 */
export async function buildDespiteDeadSubstituters(
  plan: BuildOptions,
  remainingMs: () => number | undefined
): Promise<BuildResult> {
  const watch = new DeadSubstituters()
  const log = {
    info: (line: string) => {
      watch.onLine(line)
      plan.log.info(line)
    },
    warning: plan.log.warning
  }
  const first = await buildAndPush({ ...plan, log })
  const dead = watch.culprits()
  if (first.exitCode === 0 || first.interrupted !== undefined || dead.length === 0) return first
  const remaining = substitutersWithout(await showNixConfig(plan.env), dead)
  const warning = `${dead.join(', ')} stopped answering during the build, which made this Nix stop: the build ran again without ${dead.length === 1 ? 'it' : 'them'}`
  plan.log.warning(warning)
  const second = await buildAndPush({
    ...plan,
    extraArgs: [...plan.extraArgs, '--option', 'substituters', remaining.join(' ')],
    stopBuildingAfterMs: remainingMs()
  })
  const merged = mergeOutcomes(first, second)
  merged.warnings.push(warning)
  return merged
}
