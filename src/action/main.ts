import * as core from '@actions/core'
import { FailedBuildWatcher } from '../nix-build/build-failures.js'
import { spooledBuilds } from '../nix-build/spool.js'
import { type FinalPush } from '../push/final-push.js'
import type { Finding } from '../report/finding.js'
import { startDiskCleanup } from '../machine/free-disk.js'
import { remoteBuilding } from '../nix/build-log.js'
import { NixStore } from '../nix/store.js'
import type { HostCaches } from '../nix/substituters.js'
import { makePushFilter } from '../push/filter.js'
import { childEnv } from '../util/process.js'
import { closureDiffPhase } from './phases/closure-diff.js'
import { configureNix } from './phases/configure-nix.js'
import { setupEmulation } from './phases/qemu.js'
import { restoreFlakeCache } from './phases/flake-cache.js'
import { getInputs, type Inputs } from './inputs.js'
import { buildGroupName, pushFindings } from '../report/outcome.js'
import {
  buildPhase,
  cacheCheckPhase,
  freeDiskPhase,
  hostsPhase,
  installablesPhase,
  judgeBuild,
  nixPhase,
  prepareWorkDir,
  pushPhase,
  reportPhase,
  startPushing
} from './phases.js'
import { reachableHostCaches } from './phases/host-substituters.js'
import { setupRemoteBuilders, type RemoteBuilders } from './phases/remote-builders.js'
import { reopenCachix, setupCachix } from './phases/cachix.js'
import { troubleFindings } from '../report/cache-trouble.js'
import { Output, State } from './constants.js'
import { STEP_LOG } from './phases/step-log.js'
import { errorMessage } from '../util/errors.js'

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
  }
}

const NO_HOST_CACHES: HostCaches = { substituters: [], trustedPublicKeys: [] }

/** The phases of the main step, in order; each is one log group. */
async function runMain(inputs: Inputs): Promise<void> {
  const startedAt = Date.now()
  const findings: Finding[] = []
  const env = childEnv()
  const work = await prepareWorkDir()
  core.saveState(State.WorkDir, work.dir)

  const nixVersion = await core.group('Nix', () => nixPhase(inputs, env))
  const cache = await core.group('Cachix', () => setupCachix(inputs, findings))
  core.saveState(State.Pushing, String(cache.canPush))
  const flakeCache = inputs.flakeInputCache
    ? await core.group('Flake input cache', () => restoreFlakeCache(inputs.flake, inputs.system))
    : undefined
  const remote: RemoteBuilders =
    inputs.builders.length > 0
      ? await core.group('Remote builders', () => setupRemoteBuilders(inputs, nixVersion, work.dir, env))
      : { systems: [], maxJobs: inputs.maxJobs }
  const builders = remote.setting
  // Runs while the hosts evaluate; awaited before the build needs the room.
  const diskCleanup = inputs.freeDiskSpace ? startDiskCleanup(env, STEP_LOG) : undefined
  // The hook is in place before anything is evaluated: what import-from-derivation builds while
  // the hosts evaluate goes to the spool too, and is pushed with the rest. The hosts' own caches
  // and emulation are added once the hosts are known.
  await core.group('Configure Nix for evaluation', () =>
    configureNix({
      inputs: { ...inputs, maxJobs: remote.maxJobs },
      hosts: [],
      cache,
      work,
      emulate: false,
      env,
      hostCaches: NO_HOST_CACHES,
      builders
    })
  )
  const hosts = await core.group('Hosts', () => hostsPhase(inputs, env, findings))
  core.saveState(State.Hosts, JSON.stringify(hosts.map(h => ({ id: h.id, system: h.system, outPath: h.outPath }))))
  const emulate = await core.group('QEMU', () => setupEmulation(inputs, hosts, remote.systems))
  const hostCaches = inputs.useHostSubstituters
    ? await core.group('Host substituters', () => reachableHostCaches(hosts, cache.substituters, findings))
    : NO_HOST_CACHES
  const buildDir =
    diskCleanup === undefined ? undefined : await core.group('Free disk space', () => freeDiskPhase(diskCleanup, env))
  const nixInputs = {
    ...inputs,
    maxJobs: remote.maxJobs,
    extraNixConfig: buildDir === undefined ? inputs.extraNixConfig : `build-dir = ${buildDir}\n${inputs.extraNixConfig}`
  }
  await core.group('Configure Nix', () =>
    configureNix({ inputs: nixInputs, hosts, cache, work, emulate, env, hostCaches, builders })
  )

  const store = new NixStore(env)
  const cached = await core.group('Cache check', () => cacheCheckPhase(inputs, cache, hosts))
  const toBuild = hosts.filter(h => !cached.has(h.outPath))
  // Streams while building when the cache is open; after an outage, starts only once it answers again.
  let pushing = startPushing(inputs, cache, store)
  const { installables, attributeOutputs } = await installablesPhase(inputs, toBuild, env)
  const failures = new FailedBuildWatcher()
  // Which builder each derivation handed to a remote builder went to (Nix says so as it starts it).
  const remoteBuilds = new Map<string, string>()
  const build = await core.group(buildGroupName(installables.length), () =>
    buildPhase(inputs, env, {
      installables,
      hostDrvs: toBuild.map(h => h.drvPath),
      startedAt,
      work,
      pusher: pushing?.pusher,
      failures,
      onLine: line => {
        const handed = remoteBuilding(line)
        if (handed) remoteBuilds.set(handed.drvPath, handed.builder)
      }
    })
  )
  if (build.outcome?.interrupted === 'cancelled') {
    // The post step salvages: it pushes everything that finished building.
    core.warning('Cancelled: the post step pushes what was built.')
    process.exitCode = 1
    return
  }
  const verdict = await judgeBuild(inputs, hosts, cached, build, failures, store, env)
  findings.push(...verdict.findings)

  // What import from derivation built while the hosts evaluated is pushed and counted even when no build followed the spool.
  const spooled = await spooledBuilds(work.spool, store)
  // drain-timeout covers both the try to reach a cache that was down and the push itself.
  const drainDeadline = Date.now() + inputs.drainTimeoutSeconds * 1000
  const late =
    cache.canPush && cache.session === undefined
      ? await core.group('Reach Cachix again', () => reopenCachix(inputs, cache, drainDeadline))
      : undefined
  pushing ??= startPushing(inputs, cache, store)
  if (cache.trouble !== undefined && inputs.cachix !== undefined)
    findings.push(
      ...troubleFindings({
        cache: inputs.cachix,
        ...cache.trouble,
        late,
        drainTimeoutSeconds: inputs.drainTimeoutSeconds
      })
    )
  let push: FinalPush | undefined
  if (pushing) {
    const roots = [...hosts.map(h => h.outPath), ...attributeOutputs, ...spooled.outputs]
    const active = pushing
    push = await core.group('Push', () =>
      pushPhase(inputs, cache, active, store, makePushFilter(inputs.pushFilter), roots, drainDeadline - Date.now())
    )
    findings.push(...pushFindings(push, inputs.drainTimeoutSeconds))
  }

  const builtDrvs = [...new Set([...(build.outcome?.builtDrvs ?? []), ...spooled.drvPaths])]
  const record = {
    system: inputs.system,
    results: verdict.results,
    findings,
    builtDrvs,
    builtRemotely: new Map(builtDrvs.filter(d => remoteBuilds.has(d)).map(d => [d, remoteBuilds.get(d)!])),
    builtOutputs: [...new Set([...(build.outcome?.builtOutputs ?? []), ...spooled.outputs])],
    substituted: build.substitutedPlanned,
    pushed: pushing?.pushed ?? new Map<string, number>(),
    failedPushes: push?.failures.length ?? 0,
    leftovers: push?.leftovers.length ?? 0,
    coverage: push?.coverage?.ratio,
    absentFromCache: push?.coverage ? new Set([...push.coverage.missing, ...push.coverage.filtered]) : undefined
  }
  await core.group('Report', () => reportPhase(inputs, store, record, verdict.failedBuilds, flakeCache))

  if (cache.reader) {
    await closureDiffPhase({
      flake: inputs.flake,
      diffBase: inputs.diffBase,
      comment: inputs.diffComment,
      githubToken: inputs.githubToken,
      cacheName: cache.reader.client.cacheName,
      cache: cache.reader.client,
      cacheUri: cache.reader.cache.uri,
      credentials: cache.netrc,
      store,
      hosts: verdict.results.map(r => ({ id: r.id, toplevel: r.toplevel })),
      env
    })
  }
}
