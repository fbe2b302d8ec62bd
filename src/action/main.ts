import * as core from '@actions/core'
import { tmpdir } from 'node:os'
import type { HostDiff } from '../diff/types.js'
import type { LegEnd, LegStatus } from '../report/leg-record.js'
import { errorMessage } from '../util/errors.js'
import { Output } from './constants.js'
import { getInputs, type Inputs } from './inputs.js'
import { buildGroupName, buildPhase } from './phases/build.js'
import { cacheCheckPhase } from './phases/cache-check.js'
import { cachixPhase, reopenCachix } from './phases/cachix.js'
import { closureDiffPhase, wantsClosureDiff } from './phases/closure-diff.js'
import { configureNixPhase, NO_HOST_CACHES } from './phases/configure-nix.js'
import { restoreFlakeCache, saveFlakeCache } from './phases/flake-cache.js'
import { freeDiskPhase, startFreeingDisk } from './phases/free-disk.js'
import { groupIf } from './phases/group.js'
import { reachableHostCaches } from './phases/host-substituters.js'
import { hostsPhase } from './phases/hosts.js'
import { installablesPhase } from './phases/installables.js'
import { nixPhase } from './phases/nix.js'
import { pushPhase } from './phases/push.js'
import { setupEmulation } from './phases/qemu.js'
import { noRemoteBuilders, setupRemoteBuilders } from './phases/remote-builders.js'
import { canRecordLeg, recordLegPhase } from './phases/leg-record.js'
import { reportPhase } from './phases/report.js'
import { startRun } from './phases/run.js'

/** The main step: bad inputs fail it before anything runs; a phase that throws fails it with status failed. */
export async function run(): Promise<void> {
  let inputs: Inputs
  try {
    inputs = getInputs()
  } catch (error: unknown) {
    core.setFailed(errorMessage(error))
    return
  }
  try {
    await runMain(inputs)
  } catch (error: unknown) {
    core.setOutput(Output.Status, 'failed')
    core.setFailed(errorMessage(error))
    // Stopped before its end: the report says its rows failed, not that the runner died.
    const failed = (name: string): LegEnd['hosts'][number] => ({ name, outPath: '', status: 'failed' })
    await groupIf(canRecordLeg(), 'Record the leg for the report', () =>
      recordLegPhase(inputs, process.env.RUNNER_TEMP ?? tmpdir(), {
        status: 'failed',
        hosts: inputs.hosts.map(failed),
        attributes: inputs.attributes.map(failed),
        findings: [{ level: 'error', message: errorMessage(error) }],
        diffs: []
      })
    )
  }
}

/** The phases of the main step, in order; each is one log group. */
export async function runMain(inputs: Inputs): Promise<void> {
  const run = await startRun(inputs)
  const nixVersion = await core.group('Nix', () => nixPhase(inputs, run.env))
  const cache = await core.group('Cachix', () => cachixPhase(inputs, run.findings))
  const flakeCache = await groupIf(inputs.flakeInputCache, 'Flake input cache', () =>
    restoreFlakeCache(inputs.flake, inputs.system)
  )
  const builders =
    (await groupIf(inputs.builders.length > 0, 'Remote builders', () => setupRemoteBuilders(run, nixVersion))) ??
    noRemoteBuilders(inputs)
  // Removes the unused toolchains while the hosts evaluate; the Free disk space group waits for it.
  const diskCleanup = startFreeingDisk(run)
  // The hook is in place before anything is evaluated: what import from derivation builds goes to the spool too.
  await core.group('Configure Nix for evaluation', () => configureNixPhase(run, cache, builders))
  const hosts = await core.group('Hosts', () => hostsPhase(run))
  const emulate = await core.group('QEMU', () => setupEmulation(inputs, hosts, builders.systems))
  const hostCaches =
    (await groupIf(inputs.useHostSubstituters, 'Host substituters', () =>
      reachableHostCaches(hosts, cache.substituters, run.findings)
    )) ?? NO_HOST_CACHES
  const buildDir = await groupIf(diskCleanup !== undefined, 'Free disk space', () =>
    freeDiskPhase(diskCleanup!, run.env)
  )
  await core.group('Configure Nix', () => configureNixPhase(run, cache, builders, { emulate, hostCaches, buildDir }))
  const cached = await core.group('Cache check', () => cacheCheckPhase(inputs, cache, hosts))
  const installables = await core.group('Installables', () => installablesPhase(run, hosts, cached))
  const build = await core.group(buildGroupName(installables.installables.length), () =>
    buildPhase(run, cache, hosts, cached, installables)
  )
  const attributes = (status: string): LegEnd['attributes'] =>
    inputs.attributes.map((name, i) => ({ name, outPath: installables.attributeOutputs[i], status }))
  const recordLeg = (status: LegStatus, results: LegEnd['hosts'], diffs: HostDiff[] = []): Promise<void> | undefined =>
    groupIf(canRecordLeg(), 'Record the leg for the report', () =>
      recordLegPhase(inputs, run.work.dir, {
        status,
        hosts: results,
        attributes: attributes(status === 'failed' ? 'failed' : 'built'),
        findings: run.findings,
        diffs
      })
    )
  if (build.cancelled) {
    await recordLeg(
      'cancelled',
      hosts.map(h => ({ name: h.id, outPath: h.outPath, status: 'unfinished' }))
    )
    return cancelled()
  }
  const late = await groupIf(cache.canPush && cache.session === undefined, 'Reach Cachix again', () =>
    reopenCachix(inputs, cache, build.drainDeadline)
  )
  const push = await groupIf(cache.canPush && cache.session !== undefined, 'Push', () => pushPhase(run, cache, build))
  const status = await core.group('Report', () => reportPhase(run, { cache, late, build, push }))
  await groupIf(flakeCache !== undefined, 'Save the flake input cache', () => saveFlakeCache(flakeCache))
  const diffs = await groupIf(wantsClosureDiff(inputs, cache), 'Closure diff', () =>
    closureDiffPhase(run, cache, build.results)
  )
  await recordLeg(
    status,
    build.results.map(r => ({ name: r.id, outPath: r.toplevel, status: r.status })),
    diffs
  )
}

/** Cancelled while building: the post step salvages, pushing everything that finished building. */
function cancelled(): void {
  core.warning('Cancelled: the post step pushes what was built.')
  process.exitCode = 1
}
