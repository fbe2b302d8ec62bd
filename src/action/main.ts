import * as core from '@actions/core'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { NixStore } from '../nix/store.js'
import { describeWalk, walkEach } from '../push/closure-walk.js'
import { createPusher } from '../push/defaults.js'
import { heartbeatMs } from '../push/knobs.js'
import { makePushFilter } from '../push/filter.js'
import { childEnv, errorMessage, run as runCommand } from '../util/process.js'
import { buildAndPush } from './build-and-push.js'
import { restoreFlakeCache, saveFlakeCache } from './flake-cache.js'
import { parseDryRun, STOP_GRACE_MS } from './nix-build.js'
import { finalPush, pushFindings, type FinalPush } from './final-push.js'
import { attributeToHosts, publish, type RunRecord } from './publish.js'
import { allHostSystems, configurationNames, hostDetails, toplevelInstallable, attributeOutPath, type HostInfo } from './flake.js'
import { allHosts, kindSpec, resolveHosts, type Host } from '../nix/configurations.js'
import { getInputs } from './get-inputs.js'
import type { Inputs } from './inputs.js'
import { configureNix, type WorkFiles } from './configure-nix.js'
import { closureDiffPhase } from '../diff/action-phase.js'
import { setupEmulation } from './emulation.js'
import { installedNixVersion, installNix } from './nix-install.js'
import type { Finding, HostResult } from './report.js'
import { selectHosts } from './select-hosts.js'
import { reachableHostCaches } from './probe-caches.js'
import { failedBuildFinding, FailedBuildWatcher, renderFailedBuilds } from './build-failures.js'
import { failedBuildLogs } from './nix-log.js'
import { spooledBuilds } from './spooled-builds.js'
import { mayFreeDisk } from './disk-cleanup.js'
import { roomiestBuildDir, startDiskCleanup } from './free-disk.js'
import { setupCachix, type CacheSetup } from './setup-cachix.js'
import { Output, State } from './state.js'

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

async function prepareWorkDir(): Promise<WorkFiles> {
  const dir = join(process.env.RUNNER_TEMP ?? tmpdir(), 'nix-cachix-build')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // The daemon runs the hook as root; the runner user must be able to read what it appends.
  await chmod(dir, 0o755)
  const files = { dir, spool: join(dir, 'built.spool'), hook: join(dir, 'post-build-hook.sh'), secrets: join(dir, 'secrets.conf'), netrc: join(dir, 'netrc') }
  await writeFile(files.spool, '', { mode: 0o644 })
  return files
}

async function runMain(inputs: Inputs): Promise<void> {
  const started = Date.now()
  const findings: Finding[] = []
  const env = childEnv()
  const work = await prepareWorkDir()
  core.saveState(State.WorkDir, work.dir)

  await core.group('Nix', async () => {
    const version = await installedNixVersion(env)
    if (version !== undefined) {
      core.info(`Using the Nix already installed: ${version}`)
      return
    }
    if (inputs.installNix === 'false') throw new Error('Nix is not installed and install-nix is false: install Nix first or set install-nix to auto')
    const bin = await installNix(inputs.nixVersion, 'extra-experimental-features = nix-command flakes\n', availableParallelism(), line => core.info(line), { env })
    core.addPath(bin)
    env.PATH = `${bin}:${env.PATH ?? ''}`
    core.info(`Installed Nix ${await installedNixVersion(env)}`)
  })

  const cache: CacheSetup = await core.group('Cachix', () => setupCachix(inputs, findings))
  core.saveState(State.Pushing, String(cache.pushing))

  const flakeCache = inputs.flakeInputCache ? await core.group('Flake input cache', () => restoreFlakeCache(inputs.flake, inputs.system)) : undefined

  // Runs while the hosts evaluate; awaited before the build needs the room.
  const diskCleanup = inputs.freeDiskSpace ? startDiskCleanup(env) : undefined

  // The hook is in place before anything is evaluated: what import-from-derivation builds while
  // the hosts evaluate goes to the spool too, and is pushed with the rest. The hosts' own caches
  // and emulation are added once the hosts are known.
  await core.group('Configure Nix for evaluation', () => configureNix({ inputs, hosts: [], cache, work, emulate: false, env, hostCaches: { substituters: [], trustedPublicKeys: [] } }))

  const hosts: HostInfo[] = await core.group('Hosts', async () => {
    if (inputs.hosts.length === 0 && inputs.attributes.length > 0) {
      core.info(`A pre-warm leg: building ${inputs.attributes.join(', ')} and no host`)
      return []
    }
    // A leg that names its hosts evaluates only those (their names are listed, no configuration evaluated):
    // another host's broken or costly evaluation is not its concern. Without names, one evaluation per kind lists every host and its system.
    const { names, systems } =
      inputs.hosts.length > 0 ? await configurationNames(inputs.flake, env).then(listed => ({ names: listed, systems: Object.fromEntries(allHosts(listed).map(h => [h.id, null])) })) : await allHostSystems(inputs.flake, env)
    const all = allHosts(names)
    const named = inputs.hosts.length > 0 ? resolveHosts(inputs.hosts, names) : undefined
    const selection = selectHosts(
      systems,
      (named ?? []).map(h => h.id),
      inputs.system
    )
    core.info(`Hosts for ${inputs.system}: ${selection.hosts.join(', ') || 'none'}${selection.otherSystems.length > 0 ? ` (other legs: ${selection.otherSystems.join(', ')})` : ''}`)
    const details = await hostDetails(
      inputs.flake,
      selection.hosts.map(id => all.find(h => h.id === id)).filter((h): h is Host => h !== undefined),
      env
    )
    for (const host of details) core.info(`${host.name} (${host.kind === 'nixos' ? '' : `${kindSpec(host.kind).label}, `}${host.system}): ${host.outPath}`)
    return details
  })
  core.saveState(State.Hosts, JSON.stringify(hosts.map(h => ({ name: h.name, system: h.system, outPath: h.outPath }))))

  const emulate = await core.group('QEMU', () => setupEmulation(inputs, hosts))

  const hostCaches = inputs.useHostSubstituters ? await core.group('Host substituters', () => reachableHostCaches(hosts, cache.substituters, findings)) : { substituters: [], trustedPublicKeys: [] }

  const buildDir =
    diskCleanup === undefined
      ? undefined
      : await core.group('Free disk space', async () => {
          await diskCleanup
          return mayFreeDisk(env.RUNNER_ENVIRONMENT, env.RUNNER_OS).ok ? roomiestBuildDir(env) : undefined
        })
  const nixInputs = buildDir === undefined ? inputs : { ...inputs, extraNixConfig: `build-dir = ${buildDir}\n${inputs.extraNixConfig}` }
  await core.group('Configure Nix', () => configureNix({ inputs: nixInputs, hosts, cache, work, emulate, env, hostCaches }))

  const store = new NixStore(env)
  const filter = makePushFilter(inputs.pushFilter)
  const results: HostResult[] = hosts.map(h => ({ name: h.name, system: h.system, toplevel: h.outPath, status: 'unfinished', built: 0, substituted: 0, pushed: 0, pushedBytes: 0, seconds: 0 }))

  const toBuild = await core.group('Cache check', async () => {
    if (!inputs.skipCached || !cache.session || hosts.length === 0) return hosts
    // Cached means the whole closure is there: a toplevel whose references were lost would
    // otherwise be skipped on every run while each machine builds what is missing.
    const walks = await walkEach(
      cache.session.client,
      hosts.map(h => h.outPath)
    )
    for (const result of results) {
      const walk = walks.get(result.toplevel)
      if (walk?.complete) {
        result.status = 'cached'
        result.coverage = undefined
        core.info(`${result.name}: ${describeWalk(result.toplevel, walk)}; not building it`)
      } else if (walk) core.info(`${result.name}: ${describeWalk(result.toplevel, walk)}`)
    }
    return hosts.filter(h => walks.get(h.outPath)?.complete !== true)
  })

  const pushed = new Map<string, number>()
  const pusher =
    cache.pushing && cache.session
      ? createPusher(cache.session, store, {
          jobs: inputs.pushJobs,
          exclude: inputs.pushFilter,
          onEvent: event => {
            if (event.kind === 'uploaded') pushed.set(event.path, event.fileSize)
            if (event.kind === 'failed') core.warning(`push of ${event.path} failed: ${event.error}`)
          }
        })
      : undefined

  const attributeOutputs: string[] = []
  for (const attribute of inputs.attributes) attributeOutputs.push(await attributeOutPath(inputs.flake, attribute, env))
  const installables = [...toBuild.map(h => toplevelInstallable(inputs.flake, { kind: h.kind, name: h.attribute })), ...inputs.attributes.map(a => `${inputs.flake}#${a}`)]

  let substitutedPlanned: string[] = []
  const failureWatch = new FailedBuildWatcher()
  const outcome = await core.group(`Build ${installables.length} installable${installables.length === 1 ? '' : 's'}`, async () => {
    if (installables.length === 0) {
      core.info('Nothing to build.')
      return undefined
    }
    substitutedPlanned = await plannedFetches(
      toBuild.map(h => h.drvPath),
      env
    )
    // Stopping nix may take its two grace periods (SIGINT, then SIGTERM, then SIGKILL): they come out of the build's share, not the drain's.
    const budgetMs = inputs.timeBudgetMinutes === undefined ? undefined : inputs.timeBudgetMinutes * 60_000 - inputs.drainTimeoutSeconds * 1000 - 2 * STOP_GRACE_MS - (Date.now() - started)
    return buildAndPush({
      installables,
      keepGoing: inputs.keepGoing,
      extraArgs: inputs.extraArgs,
      spoolFile: work.spool,
      env,
      pusher,
      stopBuildingAfterMs: budgetMs === undefined ? undefined : Math.max(0, budgetMs),
      heartbeatMs: heartbeatMs(),
      log: {
        info: line => {
          failureWatch.onLine(line)
          core.info(line)
        },
        warning: line => core.warning(line)
      }
    })
  })

  if (outcome?.interrupted === 'cancelled') {
    // The post step salvages: it pushes everything that finished building.
    core.warning('Cancelled: the post step pushes what was built.')
    process.exitCode = 1
    return
  }

  for (const host of toBuild) {
    const result = results.find(r => r.name === host.name)
    if (!result) continue
    result.status = (await store.isValid(host.outPath)) ? 'built' : outcome?.interrupted ? 'unfinished' : 'failed'
    result.seconds = (outcome?.finishedAt.get(host.outPath) ?? (outcome ? outcome.seconds * 1000 : 0)) / 1000
  }
  findings.push(...(outcome?.findings ?? []))
  if (outcome && outcome.exitCode !== 0) {
    const failed = results.filter(r => r.status === 'failed').map(r => r.name)
    findings.push({ level: 'error', message: failed.length > 0 ? `build failed for ${failed.join(', ')} (nix build exited ${outcome.exitCode}); everything that did build was pushed` : `nix build exited ${outcome.exitCode}` })
  }
  // Why it failed, where nobody has to scroll for it: each failed derivation and its log's end.
  const failedBuilds = await failedBuildLogs(failureWatch.derivations(), name => failureWatch.printedLog(name), env)
  findings.push(...failedBuilds.map(failedBuildFinding))
  if (outcome?.interrupted === 'time-budget')
    findings.push({
      level: 'error',
      message: `the time budget of ${inputs.timeBudgetMinutes} min ran out: ${
        results
          .filter(r => r.status === 'unfinished')
          .map(r => r.name)
          .join(', ') || 'nothing'
      } not finished`
    })

  // What import from derivation built while the hosts evaluated is pushed and counted even when no build followed the spool.
  const spooled = await spooledBuilds(work.spool, store)
  const builtDrvs = [...new Set([...(outcome?.builtDrvs ?? []), ...spooled.drvPaths])]
  const builtOutputs = [...new Set([...(outcome?.builtOutputs ?? []), ...spooled.outputs])]

  let push: FinalPush | undefined
  if (pusher && cache.session) {
    const session = cache.session
    push = await core.group('Push', async () => {
      const roots: string[] = []
      for (const path of [...hosts.map(h => h.outPath), ...attributeOutputs, ...spooled.outputs]) if (!roots.includes(path) && (await store.isValid(path))) roots.push(path)
      return finalPush({ session, store, filter, pusher, roots, drainMs: inputs.drainTimeoutSeconds * 1000, jobs: inputs.pushJobs, exclude: inputs.pushFilter, onUploaded: (path, size) => pushed.set(path, size), heartbeatMs: heartbeatMs() })
    })
    findings.push(...pushFindings(push, inputs.drainTimeoutSeconds))
  }

  await core.group('Report', async () => {
    const record: RunRecord = {
      system: inputs.system,
      results,
      findings,
      builtDrvs,
      builtOutputs,
      substituted: substitutedPlanned,
      pushed,
      failedPushes: push?.failures.length ?? 0,
      leftovers: push?.leftovers.length ?? 0,
      coverage: push?.coverage.ratio,
      absentFromCache: push ? new Set([...push.coverage.missing, ...push.coverage.filtered]) : undefined
    }
    await attributeToHosts(store, record)
    const status = await publish(record)
    if (failedBuilds.length > 0) await core.summary.addRaw(renderFailedBuilds(failedBuilds)).write()
    core.saveState(State.Finished, 'true')
    await saveFlakeCache(flakeCache)
    const unfinished = results.filter(r => r.status === 'failed' || r.status === 'unfinished').map(r => r.name)
    if (unfinished.length > 0) core.setFailed(`build failed: ${unfinished.join(', ')}`)
    else if (inputs.failOnPushError && status === 'problems') core.setFailed('pushing had problems and fail-on-push-error is true')
  })

  if (cache.session) {
    const hostsToDiff = results.map(r => ({ name: r.name, toplevel: r.toplevel }))
    await closureDiffPhase({
      flake: inputs.flake,
      diffBase: inputs.diffBase,
      comment: inputs.diffComment,
      githubToken: inputs.githubToken,
      cacheName: cache.session.client.cacheName,
      cache: cache.session.client,
      store,
      hosts: hostsToDiff,
      env
    })
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
