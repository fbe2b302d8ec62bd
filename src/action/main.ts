import * as core from '@actions/core'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { hashPart } from '../nix/store-path.js'
import { NixStore } from '../nix/store.js'
import { createPusher } from '../push/defaults.js'
import { makePushFilter } from '../push/filter.js'
import type { PushReport } from '../push/pusher.js'
import { errorMessage, run as runCommand } from '../util/process.js'
import { decideQemu } from './binfmt.js'
import { buildAndPush } from './build-and-push.js'
import { restoreFlakeCache, saveFlakeCache } from './flake-cache.js'
import { parseDryRun } from './nix-build.js'
import { closureCoverage } from './coverage.js'
import { hostDetails, hostSystems, toplevelInstallable, attributeOutPath, type HostInfo } from './flake.js'
import { getInputs } from './get-inputs.js'
import { nativeSystem, type Inputs } from './inputs.js'
import { existingPostBuildHook, renderManagedBlock, renderNetrc, renderSecretsConf } from './nix-conf.js'
import { nixConfPath, restartDaemonIfRunning, showNixConfig, writeManagedBlock } from './nix-conf-file.js'
import { installedNixVersion, installNix, NIX_PROFILE_BIN } from './nix-install.js'
import { renderHookScript } from './post-build-hook.js'
import { prepareInterpreter, qemuVersion, readBinfmtEntries, registerAarch64 } from './qemu.js'
import { formatBytes, formatCoverage, renderSummary, runStatus, type Finding, type HostResult } from './report.js'
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

interface WorkFiles {
  dir: string
  spool: string
  hook: string
  secrets: string
  netrc: string
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

  const emulate = await core.group('QEMU', async () => {
    const systems = new Set([inputs.system, ...hosts.map(h => h.system)])
    const decision = decideQemu(systems.has('aarch64-linux') ? 'aarch64-linux' : inputs.system, nativeSystem(), inputs.qemu, await readBinfmtEntries())
    if (decision.action === 'skip') {
      core.info(`No emulation: ${decision.reason}`)
      return decision.reason.startsWith('already registered')
    }
    const interpreter = await prepareInterpreter(inputs.qemuInterpreter, line => core.info(line))
    const entry = await registerAarch64(interpreter, decision.action === 'replace' ? decision.entry : undefined)
    core.info(`Registered ${entry.interpreter} for aarch64 ELF with flags ${entry.flags} (${await qemuVersion(interpreter)})`)
    return true
  })

  await core.group('Configure Nix', async () => {
    const confPath = nixConfPath(env)
    const chained = existingPostBuildHook(await showNixConfig(env))
    await writeFile(work.hook, renderHookScript(work.spool, chained === work.hook ? undefined : chained), { mode: 0o755 })
    const hostSubstituters = inputs.useHostSubstituters ? hosts.flatMap(h => h.substituters) : []
    const hostKeys = inputs.useHostSubstituters ? hosts.flatMap(h => h.trustedPublicKeys) : []
    const tokens = inputs.githubToken ? [`github.com=${inputs.githubToken}`] : []
    if (cache.netrc.length > 0) await writeFile(work.netrc, renderNetrc(cache.netrc), { mode: 0o600 })
    const secretsNeeded = tokens.length > 0 || cache.netrc.length > 0
    if (secretsNeeded) await writeFile(work.secrets, renderSecretsConf(tokens, cache.netrc.length > 0 ? work.netrc : undefined), { mode: 0o600 })
    const user = userInfo().username
    const block = renderManagedBlock({
      substituters: [...cache.substituters, ...hostSubstituters],
      trustedPublicKeys: [...cache.trustedPublicKeys, ...hostKeys],
      extraPlatforms: emulate && nativeSystem() !== 'aarch64-linux' ? ['aarch64-linux'] : [],
      postBuildHook: work.hook,
      maxJobs: inputs.maxJobs,
      cores: inputs.cores,
      builders: inputs.builders,
      trustedUsers: user === 'root' ? [] : [user],
      secretsFile: secretsNeeded ? work.secrets : undefined,
      extraConfig: inputs.extraNixConfig
    })
    await writeManagedBlock(confPath, block)
    core.saveState(State.NixConf, confPath)
    core.info(`Wrote the nix-cachix-build settings to ${confPath}${chained ? ` (chaining the existing post-build-hook ${chained})` : ''}`)
    if (await restartDaemonIfRunning()) core.info('Restarted nix-daemon to load them')
  })

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

  let report: PushReport | undefined
  if (pusher && cache.session) {
    const session = cache.session
    report = await core.group('Push', async () => {
      const validToplevels: string[] = []
      for (const h of hosts) if (await store.isValid(h.outPath)) validToplevels.push(h.outPath)
      const attributeValid: string[] = []
      for (const p of attributeOutputs) if (await store.isValid(p)) attributeValid.push(p)
      // Backstop: what the hook saw is queued already; the closures catch substituted paths.
      pusher.add([...validToplevels, ...attributeValid])
      const drainMs = inputs.drainTimeoutSeconds * 1000
      const first = await pusher.drain(drainMs)
      core.info(`Pushed ${first.uploaded} paths (${formatBytes(first.uploadedFileBytes)}); ${first.skippedPresent} already present; ${first.failed} failed`)
      const roots = [...validToplevels, ...attributeValid]
      let coverage = await closureCoverage(session.client, store, filter, roots)
      if (coverage.missing.length > 0 && !first.fatal) {
        core.info(`${coverage.missing.length} paths of the built closures are still missing from the cache: pushing them again`)
        const again = createPusher(session, store, { jobs: inputs.pushJobs, exclude: inputs.pushFilter, onEvent: e => e.kind === 'uploaded' && pushed.set(e.path, e.fileSize) })
        again.add(coverage.missing)
        const second = await again.drain(Math.max(10_000, drainMs - first.durationMs))
        first.uploaded += second.uploaded
        first.uploadedFileBytes += second.uploadedFileBytes
        first.leftovers = second.leftovers
        first.failures = second.failures
        coverage = await closureCoverage(session.client, store, filter, roots)
      }
      for (const result of results) {
        if (result.status !== 'built' && result.status !== 'cached') continue
        const c = await closureCoverage(session.client, store, filter, [result.toplevel]).catch(() => undefined)
        result.coverage = c?.ratio
      }
      if (coverage.filtered.length > 0) findings.push({ level: 'notice', message: `${coverage.filtered.length} paths of the closures are excluded from pushing (push-filter or defaults) and will be built by machines that need them` })
      if (coverage.missing.length > 0) findings.push({ level: 'warning', message: `${coverage.missing.length} paths of the built closures are not in the cache: ${coverage.missing.slice(0, 5).join(', ')}${coverage.missing.length > 5 ? ' …' : ''}` })
      return { ...first, coverageRatio: coverage.ratio } as PushReport & { coverageRatio: number }
    })
    if (report.fatal) findings.push({ level: 'warning', message: `pushing stopped: ${report.fatal}` })
    for (const failure of report.failures.slice(0, 10)) findings.push({ level: 'warning', message: `push failed for ${failure.path}: ${failure.error}` })
    if (report.leftovers.length > 0) findings.push({ level: 'warning', message: `${report.leftovers.length} paths were not pushed before drain-timeout (${inputs.drainTimeoutSeconds} s)` })
  }

  await core.group('Report', async () => {
    const closures = new Map<string, Set<string>>()
    for (const result of results) if (await store.isValid(result.toplevel)) closures.set(result.name, new Set(await store.closure([result.toplevel])))
    const built = new Set(outcome?.builtOutputs ?? [])
    const fetched = new Set(substitutedPlanned)
    for (const result of results) {
      const closure = closures.get(result.name)
      if (!closure) continue
      result.built = [...closure].filter(p => built.has(p)).length
      result.substituted = [...closure].filter(p => fetched.has(p)).length
      result.pushed = [...closure].filter(p => pushed.has(p)).length
      result.pushedBytes = [...closure].filter(p => pushed.has(p)).reduce((sum, p) => sum + (pushed.get(p) ?? 0), 0)
    }
    const totals = {
      built: outcome?.builtDrvs.length ?? 0,
      substituted: substitutedPlanned.length,
      pushed: pushed.size,
      pushedBytes: [...pushed.values()].reduce((a, b) => a + b, 0),
      failedPushes: report?.failures.length ?? 0,
      leftovers: report?.leftovers.length ?? 0,
      coverage: (report as (PushReport & { coverageRatio?: number }) | undefined)?.coverageRatio
    }
    const status = runStatus(results, findings)
    core.setOutput(Output.Hosts, JSON.stringify(Object.fromEntries(results.map(r => [r.name, r.toplevel]))))
    core.setOutput(Output.Built, String(totals.built))
    core.setOutput(Output.Substituted, String(totals.substituted))
    core.setOutput(Output.Pushed, String(totals.pushed))
    core.setOutput(Output.PushedBytes, String(totals.pushedBytes))
    core.setOutput(Output.SkippedHosts, JSON.stringify(results.filter(r => r.status === 'cached').map(r => r.name)))
    core.setOutput(Output.FailedHosts, JSON.stringify(results.filter(r => r.status === 'failed' || r.status === 'unfinished').map(r => r.name)))
    core.setOutput(Output.Coverage, formatCoverage(totals.coverage))
    core.setOutput(Output.Status, status)
    core.setOutput(Output.Findings, JSON.stringify(findings))
    for (const f of findings) {
      if (f.level === 'warning') core.warning(f.message)
      else if (f.level === 'notice') core.notice(f.message)
      else core.error(f.message)
    }
    await core.summary.addRaw(renderSummary(`nix-cachix-build ${inputs.system}`, results, totals, findings)).write()
    core.info(`Status: ${status}; built ${totals.built}, substituted ${totals.substituted}, pushed ${totals.pushed} (${formatBytes(totals.pushedBytes)}), coverage ${formatCoverage(totals.coverage)}`)
    core.saveState(State.Finished, 'true')
    await saveFlakeCache(flakeCache)
    const buildFailed = results.some(r => r.status === 'failed' || r.status === 'unfinished')
    if (buildFailed) core.setFailed(`build failed: ${results.filter(r => r.status === 'failed' || r.status === 'unfinished').map(r => r.name).join(', ')}`)
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
