import * as core from '@actions/core'
import { openBefore } from '../cachix/cache-access.js'
import { NixStore } from '../nix/store.js'
import { spooledBuilds } from '../nix-build/spool.js'
import { workFiles } from '../nix-build/work-dir.js'
import { createPusher } from '../push/create.js'
import { errorMessage } from '../util/errors.js'
import { formatBytes } from '../util/format.js'
import { State } from './constants.js'
import { getInputs } from './inputs.js'
import { sessionOptions } from './phases/cachix.js'
import { cleanUp } from './phases/clean-up.js'
import { STEP_LOG } from './phases/step-log.js'

/**
 * Runs after main whatever happened to it (failure, cancellation, timeout). If main did not
 * finish pushing, it pushes what was built, within drain-timeout. Then it removes what main
 * left behind. It only ever warns: a green job never turns red here.
 */
export async function runPost(): Promise<void> {
  try {
    if (core.getState(State.Finished) !== 'true' && core.getState(State.Pushing) === 'true') await salvage()
  } catch (error: unknown) {
    core.warning(`Salvage push failed: ${errorMessage(error)}`)
  } finally {
    try {
      await cleanUp(core.getState(State.WorkDir), core.getState(State.NixConf), builderFiles())
    } catch (error: unknown) {
      core.warning(`Clean-up failed: ${errorMessage(error)}`)
    }
  }
}

async function salvage(): Promise<void> {
  await core.group('Salvage: push what was built before main stopped', async () => {
    const inputs = getInputs()
    if (!inputs.cachix) return
    const workDir = core.getState(State.WorkDir)
    const store = new NixStore()
    // The same drain-timeout covers reaching Cachix (it may be down) and the push.
    const deadline = Date.now() + inputs.drainTimeoutSeconds * 1000
    const access = await openBefore(sessionOptions(inputs, inputs.cachix), deadline)
    if (access.state !== 'open') throw new Error(`nothing was pushed: ${access.reason}`)
    const { session } = access
    const roots = new Set<string>()
    for (const output of (await spooledBuilds(workFiles(workDir).spool, store)).outputs) roots.add(output)
    const hosts = JSON.parse(core.getState(State.Hosts) || '[]') as { outPath: string }[]
    for (const path of await store.validPaths(hosts.map(h => h.outPath))) roots.add(path)
    core.info(`${roots.size} built paths to check against the cache`)
    const pusher = createPusher(session, store, { jobs: inputs.pushJobs, exclude: inputs.pushFilter, log: STEP_LOG })
    pusher.add([...roots])
    const report = await pusher.drain(Math.max(0, deadline - Date.now()))
    const line = `Salvage pushed ${report.uploaded} paths (${formatBytes(report.uploadedFileBytes)}); ${report.skippedPresent} were already in the cache; ${report.failed} failed; ${report.leftovers.length} left when the drain timeout came`
    core.info(line)
    if (report.failed > 0 || report.leftovers.length > 0) core.warning(line)
    await core.summary.addRaw(`\n### Salvage after an interrupted run\n\n${line}.\n`).write()
  })
}

/** What the remote builders' set-up wrote (their ssh key, an ssh_config part), as main recorded it. */
function builderFiles(): string[] {
  try {
    return JSON.parse(core.getState(State.BuilderFiles) || '[]') as string[]
  } catch {
    return []
  }
}
