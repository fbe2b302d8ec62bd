import * as core from '@actions/core'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashPart } from '../nix/store-path.js'
import { NixStore } from '../nix/store.js'
import { createPusher } from '../push/defaults.js'
import { makePushFilter } from '../push/filter.js'
import { errorMessage, run as runCommand } from '../util/process.js'
import { buildAndPush } from './build-and-push.js'
import { restoreFlakeCache, saveFlakeCache } from './flake-cache.js'
import { parseDryRun } from './nix-build.js'
import { finalPush, pushFindings, type FinalPush } from './final-push.js'
import { attributeToHosts, publish, type RunRecord } from './publish.js'
import { hostDetails, hostSystems, toplevelInstallable, attributeOutPath, type HostInfo } from './flake.js'
import { getInputs } from './get-inputs.js'
import type { Inputs } from './inputs.js'
import { configureNix, type WorkFiles } from './configure-nix.js'
import { setupEmulation } from './emulation.js'
import { installedNixVersion, installNix, NIX_PROFILE_BIN } from './nix-install.js'
import type { Finding, HostResult } from './report.js'
import { selectHosts } from './select-hosts.js'
import { setupCachix, type CacheSetup } from './setup-cachix.js'
import { Output, State } from './state.js'

const HEARTBEAT_MS = Number(process.env.NIX_CACHIX_BUILD_HEARTBEAT_SECONDS ?? '60') * 1000

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
  const env = { ...process.env }
  const work = await prepareWorkDir()
  core.saveState(State.WorkDir, work.dir)
  core.saveState(State.StartedAt, String(started))

  await core.group('Nix', async () => {
    const version = await installedNixVersion(env)
    if (version !== undefined) {
      core.info(`Using the Nix already installed: ${version}`)
      return
    }
    if (inputs.installNix === 'false') throw new Error('Nix is not installed and install-nix is false: install Nix first or set install-nix to auto')
    await installNix(inputs.nixVersion, 'extra-experimental-features = nix-command flakes\n', availableParallelism(), line => core.info(line))
    core.addPath(NIX_PROFILE_BIN)
    env.PATH = `${NIX_PROFILE_BIN}:${env.PATH ?? ''}`
    core.info(`Installed Nix ${await installedNixVersion(env)}`)
  })

  const cache: CacheSetup = await core.group('Cachix', () => setupCachix(inputs, findings))
  core.saveState(State.Pushing, String(cache.pushing))

  const flakeCache = inputs.flakeInputCache ? await core.group('Flake input cache', () => restoreFlakeCache(inputs.flake, inputs.system)) : undefined

  const hosts: HostInfo[] = await core.group('Hosts', async () => {
    const systems = await hostSystems(inputs.flake, env).catch((error: unknown) => {
      throw new Error(`could not evaluate ${inputs.flake}#nixosConfigurations: ${errorMessage(error)}`)
    })
    const selection = selectHosts(systems, inputs.hosts, inputs.system)
    core.info(`Hosts for ${inputs.system}: ${selection.hosts.join(', ') || 'none'}${selection.otherSystems.length > 0 ? ` (other legs: ${selection.otherSystems.join(', ')})` : ''}`)
    const details = await hostDetails(inputs.flake, selection.hosts, env)
    for (const host of details) core.info(`${host.name} (${host.system}): ${host.outPath}`)
    return details
  })
  core.saveState(State.Hosts, JSON.stringify(hosts.map(h => ({ name: h.name, system: h.system, outPath: h.outPath }))))

  const emulate = await core.group('QEMU', () => setupEmulation(inputs, hosts))

  await core.group('Configure Nix', () => configureNix({ inputs, hosts, cache, work, emulate, env }))

  const store = new NixStore(env)
  const filter = makePushFilter(inputs.pushFilter)
  const results: HostResult[] = hosts.map(h => ({ name: h.name, system: h.system, toplevel: h.outPath, status: 'unfinished', built: 0, substituted: 0, pushed: 0, pushedBytes: 0, seconds: 0 }))

  const toBuild = await core.group('Cache check', async () => {
    if (!inputs.skipCached || !cache.session || hosts.length === 0) return hosts
    const missing = await cache.session.client.missingHashes(hosts.map(h => hashPart(h.outPath)))
    for (const result of results) {
      if (!missing.has(hashPart(result.toplevel))) {
        result.status = 'cached'
        result.coverage = undefined
        core.info(`${result.name}: ${result.toplevel} is already in the cache, not building it`)
      }
    }
    return hosts.filter(h => missing.has(hashPart(h.outPath)))
  })

  const pushed = new Map<string, number>()
  const pusher = cache.pushing && cache.session
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
  const installables = [...toBuild.map(h => toplevelInstallable(inputs.flake, h.name)), ...inputs.attributes.map(a => `${inputs.flake}#${a}`)]

  let substitutedPlanned: string[] = []
  const outcome = await core.group(`Build ${installables.length} installable${installables.length === 1 ? '' : 's'}`, async () => {
    if (installables.length === 0) {
      core.info('Nothing to build.')
      return undefined
    }
    substitutedPlanned = await plannedFetches(toBuild.map(h => h.drvPath), env)
    const budgetMs = inputs.timeBudgetMinutes === undefined ? undefined : inputs.timeBudgetMinutes * 60_000 - inputs.drainTimeoutSeconds * 1000 - (Date.now() - started)
    return buildAndPush({
      installables,
      keepGoing: inputs.keepGoing,
      extraArgs: inputs.extraArgs,
      spoolFile: work.spool,
      env,
      pusher,
      stopBuildingAfterMs: budgetMs === undefined ? undefined : Math.max(0, budgetMs),
      heartbeatMs: HEARTBEAT_MS
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
  if (outcome && outcome.exitCode !== 0) {
    const failed = results.filter(r => r.status === 'failed').map(r => r.name)
    findings.push({ level: 'error', message: failed.length > 0 ? `build failed for ${failed.join(', ')} (nix build exited ${outcome.exitCode}); everything that did build was pushed` : `nix build exited ${outcome.exitCode}` })
  }
  if (outcome?.interrupted === 'time-budget') findings.push({ level: 'error', message: `the time budget of ${inputs.timeBudgetMinutes} min ran out: ${results.filter(r => r.status === 'unfinished').map(r => r.name).join(', ') || 'nothing'} not finished` })

  let push: FinalPush | undefined
  if (pusher && cache.session) {
    const session = cache.session
    push = await core.group('Push', async () => {
      const roots: string[] = []
      for (const path of [...hosts.map(h => h.outPath), ...attributeOutputs]) if (await store.isValid(path)) roots.push(path)
      return finalPush({ session, store, filter, pusher, roots, drainMs: inputs.drainTimeoutSeconds * 1000, jobs: inputs.pushJobs, exclude: inputs.pushFilter, onUploaded: (path, size) => pushed.set(path, size) })
    })
    findings.push(...pushFindings(push, inputs.drainTimeoutSeconds))
  }

  await core.group('Report', async () => {
    const record: RunRecord = {
      system: inputs.system,
      results,
      findings,
      builtDrvs: outcome?.builtDrvs ?? [],
      builtOutputs: outcome?.builtOutputs ?? [],
      substituted: substitutedPlanned,
      pushed,
      failedPushes: push?.failures.length ?? 0,
      leftovers: push?.leftovers.length ?? 0,
      coverage: push?.coverage.ratio,
      absentFromCache: push ? new Set([...push.coverage.missing, ...push.coverage.filtered]) : undefined
    }
    await attributeToHosts(store, record)
    const status = await publish(record)
    core.saveState(State.Finished, 'true')
    await saveFlakeCache(flakeCache)
    const unfinished = results.filter(r => r.status === 'failed' || r.status === 'unfinished').map(r => r.name)
    if (unfinished.length > 0) core.setFailed(`build failed: ${unfinished.join(', ')}`)
    else if (inputs.failOnPushError && status === 'problems') core.setFailed('pushing had problems and fail-on-push-error is true')
  })
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
