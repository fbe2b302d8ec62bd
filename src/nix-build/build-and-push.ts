import { NixStore } from '../nix/store.js'
import type { Pusher } from '../push/pusher.js'
import type { Log } from '../util/log.js'
import { describePushing, startHeartbeat } from '../push/heartbeat.js'
import { HookLiveness, silentHookMessage } from './hook-liveness.js'
import { buildArgs, startBuild } from './nix-build.js'
import type { SpoolEntry } from './post-build-hook.js'
import { SpoolReader, spooledOutputs } from './spool.js'
import { errorMessage } from '../util/errors.js'

export interface BuildResult {
  exitCode: number
  /** Derivations built on this runner, in the order they finished. */
  builtDrvs: string[]
  /** Output paths those builds produced. */
  builtOutputs: string[]
  /** When each output became valid, ms since the build started. */
  finishedAt: Map<string, number>
  interrupted?: 'time-budget' | 'cancelled'
  seconds: number
  /** What the build warned about itself, already logged (a hook that never ran): the report lists them. */
  warnings: string[]
}

export interface BuildOptions {
  installables: string[]
  keepGoing: boolean
  extraArgs: string[]
  spoolFile: string
  env: NodeJS.ProcessEnv
  pusher?: Pusher
  /** ms from now after which no more builds start. */
  stopBuildingAfterMs?: number
  heartbeatMs: number
  /** How often to look for a hook that never runs (default 5 s). */
  hookCheckMs?: number
  /** Where build log lines and the heartbeat go. */
  log: Log
  /** Told the number of derivations built so far, after each one. */
  onBuilt?: (count: number) => void
}

/**
 * One `nix build` for everything, while the spool the post-build-hook writes is followed and
 * every finished output goes straight to the pusher. A heartbeat says what is going on.
 */
export async function buildAndPush(plan: BuildOptions): Promise<BuildResult> {
  const store = new NixStore(plan.env)
  const log = plan.log
  const started = Date.now()
  const outcome: BuildResult = {
    exitCode: 0,
    builtDrvs: [],
    builtOutputs: [],
    finishedAt: new Map(),
    seconds: 0,
    warnings: []
  }
  const resolving: Promise<void>[] = []
  const recordBuilt = (entry: SpoolEntry): void => {
    const { drvPath } = entry
    outcome.builtDrvs.push(drvPath)
    plan.onBuilt?.(outcome.builtDrvs.length)
    resolving.push(
      spooledOutputs(entry, store)
        .then(outputs => {
          outcome.builtOutputs.push(...outputs)
          for (const output of outputs) outcome.finishedAt.set(output, Date.now() - started)
          plan.pusher?.add(outputs)
        })
        .catch((error: unknown) => log.warning(`could not read the outputs of ${drvPath}: ${errorMessage(error)}`))
    )
  }
  const hook = new HookLiveness(drvPath => allOutputsValid(store, drvPath))
  const spool = new SpoolReader(plan.spoolFile, entries => {
    hook.onSpooled(entries.length)
    for (const entry of entries) recordBuilt(entry)
  })
  spool.start()
  const build = startBuild(
    buildArgs(plan.installables, { keepGoing: plan.keepGoing, extraArgs: plan.extraArgs }),
    plan.env,
    line => {
      hook.onLogLine(line)
      log.info(line)
    }
  )
  // Where the warning about a silent hook stands in outcome.warnings, while it stands.
  let silentAt: number | undefined
  const silentHook = (built?: number): void => {
    const message = silentHookMessage(built)
    log.warning(message)
    silentAt = outcome.warnings.push(message) - 1
  }

  const stopHeartbeat = startHeartbeat(
    plan.heartbeatMs,
    log,
    () => `built ${outcome.builtDrvs.length} derivations, ${describePushing(plan.pusher?.totals())}`
  )
  let checking = false
  let ended = false
  const hookTimer = setInterval(() => {
    if (checking) return
    checking = true
    hook
      .check()
      .then(silent => silent && !ended && silentHook())
      .catch(() => undefined)
      .finally(() => {
        checking = false
      })
  }, plan.hookCheckMs ?? 5000)

  let budgetTimer: NodeJS.Timeout | undefined
  if (plan.stopBuildingAfterMs !== undefined) {
    budgetTimer = setTimeout(() => {
      outcome.interrupted = 'time-budget'
      log.warning('The time budget is reached: stopping the build so what was built can still be pushed.')
      build.stop()
    }, plan.stopBuildingAfterMs)
  }
  const onSignal = (): void => {
    outcome.interrupted = 'cancelled'
    build.stop()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    outcome.exitCode = await build.done
  } finally {
    ended = true
    stopHeartbeat()
    clearInterval(hookTimer)
    clearTimeout(budgetTimer)
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    await spool.stop()
    const unhooked = await hook.builtWithoutHook().catch(() => [])
    if (unhooked.length > 0) {
      // What the hook should have reported: counted, and queued now rather than never.
      for (const drvPath of unhooked) recordBuilt({ drvPath, outPaths: [] })
      if (silentAt === undefined) silentHook(unhooked.length)
      else outcome.warnings[silentAt] = silentHookMessage(unhooked.length)
    } else if (silentAt !== undefined && hook.verdict === 'runs') {
      outcome.warnings.splice(silentAt, 1)
      log.info('The post-build-hook did run in the end: it was only slow.')
    }
    await Promise.all(resolving)
    outcome.seconds = (Date.now() - started) / 1000
  }
  return outcome
}

async function allOutputsValid(store: NixStore, drvPath: string): Promise<boolean> {
  const outputs = await store.derivationOutputs(drvPath)
  for (const output of outputs) if (!(await store.isValid(output))) return false
  return outputs.length > 0
}
