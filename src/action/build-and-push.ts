import * as core from '@actions/core'
import { NixStore } from '../nix/store.js'
import type { Pusher } from '../push/pusher.js'
import { errorMessage } from '../util/process.js'
import { freeDiskBytes } from './disk.js'
import { buildArgs, startBuild } from './nix-build.js'
import { formatBytes } from './report.js'
import { SpoolReader } from './spool.js'

const LOW_DISK_BYTES = 2 * 1024 ** 3

export interface BuildOutcome {
  exitCode: number
  /** Derivations built on this runner, in the order they finished. */
  builtDrvs: string[]
  /** Output paths those builds produced. */
  builtOutputs: string[]
  /** When each output became valid, ms since the build started. */
  finishedAt: Map<string, number>
  interrupted?: 'time-budget' | 'cancelled'
  seconds: number
}

export interface BuildPlan {
  installables: string[]
  keepGoing: boolean
  extraArgs: string[]
  spoolFile: string
  env: NodeJS.ProcessEnv
  pusher?: Pusher
  /** ms from now after which no more builds start. */
  stopBuildingAfterMs?: number
  heartbeatMs: number
  /** Where build log lines and the heartbeat go (default: the step log). */
  log?: { info: (line: string) => void; warning: (line: string) => void }
  /** Told the number of derivations built so far, after each one. */
  onBuilt?: (count: number) => void
}

const STEP_LOG = { info: (line: string) => core.info(line), warning: (line: string) => core.warning(line) }

/**
 * One `nix build` for everything, while the spool the post-build-hook writes is followed and
 * every finished output goes straight to the pusher. A heartbeat says what is going on.
 */
export async function buildAndPush(plan: BuildPlan): Promise<BuildOutcome> {
  const store = new NixStore(plan.env)
  const log = plan.log ?? STEP_LOG
  const started = Date.now()
  const outcome: BuildOutcome = { exitCode: 0, builtDrvs: [], builtOutputs: [], finishedAt: new Map(), seconds: 0 }
  const resolving: Promise<void>[] = []
  const spool = new SpoolReader(plan.spoolFile, entries => {
    for (const entry of entries) {
      outcome.builtDrvs.push(entry.drvPath)
      plan.onBuilt?.(outcome.builtDrvs.length)
      resolving.push(
        (entry.outPaths.length > 0 ? Promise.resolve(entry.outPaths) : store.derivationOutputs(entry.drvPath))
          .then(outputs => {
            outcome.builtOutputs.push(...outputs)
            for (const output of outputs) outcome.finishedAt.set(output, Date.now() - started)
            plan.pusher?.add(outputs)
          })
          .catch((error: unknown) => log.warning(`could not read the outputs of ${entry.drvPath}: ${errorMessage(error)}`))
      )
    }
  })
  spool.start()
  const build = startBuild(buildArgs(plan.installables, { keepGoing: plan.keepGoing, extraArgs: plan.extraArgs }), plan.env, line => log.info(line))

  const heartbeat = setInterval(() => {
    void (async () => {
      const free = await freeDiskBytes()
      const totals = plan.pusher?.totals()
      const pushed = totals ? `pushed ${totals.uploaded} paths (${formatBytes(totals.uploadedFileBytes)}), ${totals.pending} waiting` : 'not pushing'
      const minutes = Math.round((Date.now() - started) / 60000)
      log.info(`[heartbeat ${minutes} min] built ${outcome.builtDrvs.length} derivations, ${pushed}, disk free ${free === undefined ? 'unknown' : formatBytes(free)}`)
      if (free !== undefined && free < LOW_DISK_BYTES) log.warning(`Only ${formatBytes(free)} of disk left for the Nix store: builds may fail soon; what is built is being pushed.`)
    })()
  }, plan.heartbeatMs)

  let budgetTimer: NodeJS.Timeout | undefined
  if (plan.stopBuildingAfterMs !== undefined) {
    budgetTimer = setTimeout(() => {
      outcome.interrupted = 'time-budget'
      log.warning('The time budget is reached: stopping the build so what was built can still be pushed.')
      build.interrupt()
    }, plan.stopBuildingAfterMs)
  }
  const onSignal = (): void => {
    outcome.interrupted = 'cancelled'
    build.interrupt()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    outcome.exitCode = await build.done
  } finally {
    clearInterval(heartbeat)
    clearTimeout(budgetTimer)
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    await spool.stop()
    await Promise.all(resolving)
    outcome.seconds = (Date.now() - started) / 1000
  }
  return outcome
}
