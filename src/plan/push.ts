import * as core from '@actions/core'
import type { CacheSetup } from '../action/phases/cachix.js'
import { STEP_LOG } from '../action/phases/step-log.js'
import type { Evaluated } from '../hosts/evaluate.js'
import { NixStore } from '../nix/store.js'
import { createPusher } from '../push/create.js'
import { errorMessage } from '../util/errors.js'
import { formatBytes } from '../util/format.js'

/**
 * What the planner's evaluations built or read (import from derivation), pushed with their
 * closures: the planner has the cache and the token, and a runner that is thrown away would
 * otherwise lose a build that every leg and laptop needs just to evaluate the host.
 */
export function wantsEvaluationPush(cache: CacheSetup, evaluated: Evaluated[]): boolean {
  return (
    cache.canPush &&
    cache.session !== undefined &&
    evaluated.some(e => e.imports.length > 0 || e.builtWhileEvaluating.length > 0)
  )
}

/** Pushes what evaluation built or imported; a push that fails leaves those hosts a row (the cache check sees the hole). */
export async function pushEvaluationPhase(cache: CacheSetup, evaluated: Evaluated[]): Promise<void> {
  try {
    await pushEvaluated(cache, evaluated)
  } catch (error: unknown) {
    core.warning(`could not push what evaluation built or imported: ${errorMessage(error)}`)
  }
}

async function pushEvaluated(cache: CacheSetup, evaluated: Evaluated[]): Promise<void> {
  const store = new NixStore()
  const built: string[] = []
  for (const drv of new Set(evaluated.flatMap(e => e.builtWhileEvaluating)))
    built.push(...(await store.derivationOutputs(drv)))
  const paths = [...(await store.validPaths([...evaluated.flatMap(e => e.imports), ...built]))]
  const pusher = createPusher(cache.session!, store, { log: STEP_LOG })
  pusher.add(paths)
  const report = await pusher.drain()
  core.info(
    `Pushed ${report.uploaded} paths (${formatBytes(report.uploadedFileBytes)}) of what evaluation built or imported, ${report.skippedPresent} already there, ${report.failed} failed`
  )
  if (report.fatal !== undefined) core.warning(`pushing what evaluation built stopped: ${report.fatal}`)
}
