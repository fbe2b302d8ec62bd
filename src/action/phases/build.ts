import * as core from '@actions/core'
import type { HostInfo } from '../../hosts/flake.js'
import { remoteBuilding } from '../../nix/build-log.js'
import type { BuildResult } from '../../nix-build/build-and-push.js'
import { FailedBuildWatcher, type FailedBuild } from '../../nix-build/build-failures.js'
import { buildDespiteDeadSubstituters } from '../../nix-build/dead-substituters.js'
import { buildBudgetMs, parseDryRun, STOP_GRACE_MS } from '../../nix-build/nix-build.js'
import { failedBuildLogs } from '../../nix-build/nix-log.js'
import { spooledBuilds, type SpooledBuilds } from '../../nix-build/spool.js'
import { failedBuildFinding } from '../../report/failed-builds.js'
import { buildFindings, hostResults } from '../../report/outcome.js'
import type { HostResult } from '../../report/summary.js'
import { errorMessage } from '../../util/errors.js'
import { heartbeatMs } from '../../util/knobs.js'
import { runCommand } from '../../util/process.js'
import type { CacheSetup } from './cachix.js'
import type { Installables } from './installables.js'
import { startPushing, type PushStream } from './push.js'
import type { Run } from './run.js'

/** What the build left for the push and the report. */
export interface BuiltStep {
  cancelled: false
  /** Undefined when there was nothing to build. */
  result?: BuildResult
  /** Paths the dry run said Nix would fetch rather than build (for the host derivations). */
  substitutedPlanned: string[]
  /** The pusher the build streamed to, when the cache was open. */
  stream?: PushStream
  /** Each host's row: cached, built, failed or unfinished. */
  results: HostResult[]
  failedBuilds: FailedBuild[]
  /** What the post-build hook spooled in this job, import from derivation while evaluating included. */
  spooled: SpooledBuilds
  /** derivation → remote builder, for each derivation Nix handed to one. */
  remoteBuilds: Map<string, string>
  /**
   * Every host's toplevel and evaluation imports, the pre-warm attributes and what was spooled: their closures must end
   * up in the cache.
   */
  roots: string[]
  /** drain-timeout counts from the end of the build: it covers reaching a cache that was down and the push. */
  drainDeadline: number
}

/** The post step salvages what a cancelled build finished. */
export type BuildStep = BuiltStep | { cancelled: true }

/** The log group of the build phase. */
export function buildGroupName(installables: number): string {
  return `Build ${installables} installable${installables === 1 ? '' : 's'}`
}

/**
 * One nix build of every installable, each output streamed to the pusher as it is built; then
 * each host's result, and what went wrong with each failed derivation (its log's end).
 */
export async function buildPhase(
  run: Run,
  cache: CacheSetup,
  hosts: HostInfo[],
  cached: Set<string>,
  installables: Installables
): Promise<BuildStep> {
  const { inputs, env, store } = run
  // Streams while building when the cache is open; after an outage, the push phase starts it once it answers again.
  const stream = startPushing(run, cache)
  const failures = new FailedBuildWatcher()
  const remoteBuilds = new Map<string, string>()
  const toBuild = installables.toBuild
  let result: BuildResult | undefined
  let substitutedPlanned: string[] = []
  if (installables.installables.length === 0) core.info('Nothing to build.')
  else {
    substitutedPlanned = await plannedFetches(
      toBuild.map(h => h.drvPath),
      env
    )
    const budgetMs = (): number | undefined =>
      buildBudgetMs(inputs.timeBudgetMinutes, inputs.drainTimeoutSeconds, STOP_GRACE_MS, Date.now() - run.startedAt)
    result = await buildDespiteDeadSubstituters(
      {
        installables: installables.installables,
        keepGoing: inputs.keepGoing,
        extraArgs: inputs.extraArgs,
        spoolFile: run.work.spool,
        env,
        pusher: stream?.pusher,
        stopBuildingAfterMs: budgetMs(),
        heartbeatMs: heartbeatMs(),
        log: {
          info: line => {
            failures.onLine(line)
            // Which builder each derivation handed to a remote builder went to (Nix says so as it starts it).
            const handed = remoteBuilding(line)
            if (handed) remoteBuilds.set(handed.drvPath, handed.builder)
            core.info(line)
          },
          warning: line => core.warning(line)
        }
      },
      budgetMs
    )
    if (result.interrupted === 'cancelled') return { cancelled: true }
  }
  const valid = await store.validPaths(toBuild.map(h => h.outPath))
  const results = hostResults(hosts, cached, valid, result)
  const failedBuilds = await failedBuildLogs(failures.derivations(), name => failures.printedLog(name), env)
  // Why it failed, where nobody has to scroll for it: each failed derivation and its log's end.
  run.findings.push(...buildFindings(results, result, failedBuilds.map(failedBuildFinding), inputs.timeBudgetMinutes))
  // What import from derivation built while the hosts evaluated is pushed and counted even when no build followed the spool.
  const spooled = await spooledBuilds(run.work.spool, store)
  return {
    cancelled: false,
    result,
    substitutedPlanned,
    stream,
    results,
    failedBuilds,
    spooled,
    remoteBuilds,
    roots: [...hosts.flatMap(h => [h.outPath, ...h.imports]), ...installables.attributeOutputs, ...spooled.outputs],
    drainDeadline: Date.now() + inputs.drainTimeoutSeconds * 1000
  }
}

/** Paths Nix will substitute rather than build, from `nix-store --realise --dry-run`. */
async function plannedFetches(drvPaths: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  if (drvPaths.length === 0) return []
  try {
    const { stderr } = await runCommand('nix-store', ['--realise', '--dry-run', ...drvPaths], { env })
    return parseDryRun(stderr).toFetch
  } catch (error: unknown) {
    core.debug(`dry run failed: ${errorMessage(error)}`)
    return []
  }
}
