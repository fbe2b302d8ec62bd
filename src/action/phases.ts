import * as core from '@actions/core'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BuildResult } from '../nix-build/build-and-push.js'
import { buildDespiteDeadSubstituters } from '../nix-build/dead-substituters.js'
import { FailedBuildWatcher, type FailedBuild } from '../nix-build/build-failures.js'
import { finalPush, type FinalPush } from '../push/final-push.js'
import type { Finding } from '../report/finding.js'
import { parseDryRun, STOP_GRACE_MS } from '../nix-build/nix-build.js'
import { failedBuildLogs } from '../nix-build/nix-log.js'
import { mayFreeDisk } from '../machine/disk-space.js'
import { roomiestBuildDir } from '../machine/free-disk.js'
import {
  allHosts,
  installable,
  kindSpec,
  resolveHosts,
  type ConfigurationNames,
  type Host
} from '../hosts/configurations.js'
import { evaluateHosts } from '../hosts/evaluate.js'
import { allHostSystems, attributeOutPath, configurationNames, hostDetails, type HostInfo } from '../hosts/flake.js'
import { ensureNix } from '../nix/install.js'
import type { NixStore } from '../nix/store.js'
import { describeWalk, walkEach } from '../cachix/closure-walk.js'
import { createPusher } from '../push/create.js'
import type { PushFilter } from '../push/filter.js'
import { heartbeatMs } from '../util/knobs.js'
import type { Pusher } from '../push/pusher.js'
import { runCommand } from '../util/process.js'
import type { WorkFiles } from './phases/configure-nix.js'
import type { Inputs } from './inputs.js'
import { buildBudgetMs, buildFindings, hostResults, stepFailure } from '../report/outcome.js'
import { countPerHost, publish, type RunRecord } from './phases/report.js'
import type { HostResult } from '../report/summary.js'
import { saveFlakeCache, type FlakeCacheState } from './phases/flake-cache.js'
import { selectHosts } from '../hosts/select.js'
import type { CacheSetup } from './phases/cachix.js'
import { State } from './constants.js'
import { STEP_LOG } from './phases/step-log.js'
import { errorMessage } from '../util/errors.js'
import { failedBuildFinding, renderFailedBuilds } from '../report/failed-builds.js'

/** The job's private directory: the spool the hook appends to, the hook script, the secrets files. */
export async function prepareWorkDir(): Promise<WorkFiles> {
  const dir = join(process.env.RUNNER_TEMP ?? tmpdir(), 'nix-cachix-build')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // The daemon runs the hook as root; the runner user must be able to read what it appends.
  await chmod(dir, 0o755)
  const files = {
    dir,
    spool: join(dir, 'built.spool'),
    hook: join(dir, 'post-build-hook.sh'),
    secrets: join(dir, 'secrets.conf'),
    netrc: join(dir, 'netrc')
  }
  await writeFile(files.spool, '', { mode: 0o644 })
  return files
}

/** Nix, installed when it is missing; later steps of the job find it on PATH. Returns its version. */
export async function nixPhase(inputs: Inputs, env: NodeJS.ProcessEnv): Promise<string> {
  const nix = await ensureNix(inputs.nixVersion, inputs.installNix !== 'false', env, STEP_LOG)
  if (nix.installedBin !== undefined) core.addPath(nix.installedBin)
  return nix.version
}

/**
 * Every host and its system, in one evaluation per kind; when that fails, each host in its own
 * `nix eval` (as the planner does), so that a host that does not evaluate becomes an error
 * finding and hides none of the others. Only when no host evaluates does the leg fail here.
 */
async function everyHostSystem(
  flake: string,
  env: NodeJS.ProcessEnv,
  findings: Finding[]
): Promise<{ names: ConfigurationNames; systems: Record<string, string | null> }> {
  try {
    return await allHostSystems(flake, env)
  } catch (error: unknown) {
    const names = await configurationNames(flake, env)
    const hosts = allHosts(names)
    core.info(
      `Evaluating the hosts together failed; evaluating each of ${hosts.length} on its own (${errorMessage(error).split('\n')[0]})`
    )
    const { evaluated, failed } = await evaluateHosts(flake, hosts, availableParallelism(), env)
    if (evaluated.length === 0) throw error
    for (const failure of failed)
      findings.push({
        level: 'error',
        message: `host ${failure.name} does not evaluate, so no leg builds it: ${failure.error}`
      })
    return { names, systems: Object.fromEntries(evaluated.map(e => [e.name, e.system])) }
  }
}

/** The hosts of this leg, evaluated: a leg that names its hosts evaluates only those. */
export async function hostsPhase(inputs: Inputs, env: NodeJS.ProcessEnv, findings: Finding[]): Promise<HostInfo[]> {
  if (inputs.hosts.length === 0 && inputs.attributes.length > 0) {
    core.info(`A pre-warm leg: building ${inputs.attributes.join(', ')} and no host`)
    return []
  }
  // A leg that names its hosts evaluates only those (their names are listed, no configuration evaluated):
  // another host's broken or costly evaluation is not its concern. Without names, one evaluation per kind lists every host and its system.
  const { names, systems } =
    inputs.hosts.length > 0
      ? await configurationNames(inputs.flake, env).then(listed => ({
          names: listed,
          systems: Object.fromEntries(allHosts(listed).map(h => [h.id, null]))
        }))
      : await everyHostSystem(inputs.flake, env, findings)
  const all = allHosts(names)
  const named = inputs.hosts.length > 0 ? resolveHosts(inputs.hosts, names) : undefined
  const selection = selectHosts(
    systems,
    (named ?? []).map(h => h.id),
    inputs.system
  )
  core.info(
    `Hosts for ${inputs.system}: ${selection.hosts.join(', ') || 'none'}${selection.otherSystems.length > 0 ? ` (other legs: ${selection.otherSystems.join(', ')})` : ''}`
  )
  const details = await hostDetails(
    inputs.flake,
    selection.hosts.map(id => all.find(h => h.id === id)).filter((h): h is Host => h !== undefined),
    env
  )
  for (const host of details)
    core.info(
      `${host.id} (${host.kind === 'nixos' ? '' : `${kindSpec(host.kind).label}, `}${host.system}): ${host.outPath}`
    )
  return details
}

/** Waits for the toolchain removal and picks the build directory with the most room. */
export async function freeDiskPhase(cleanup: Promise<void>, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  await cleanup
  return mayFreeDisk(env.RUNNER_ENVIRONMENT, env.RUNNER_OS).ok ? roomiestBuildDir(env, STEP_LOG) : undefined
}

/** The toplevels whose whole closure is in the cache already: those hosts are not built. */
export async function cacheCheckPhase(inputs: Inputs, cache: CacheSetup, hosts: HostInfo[]): Promise<Set<string>> {
  const cached = new Set<string>()
  if (!inputs.skipCached || hosts.length === 0) return cached
  if (cache.reader === undefined) {
    if (inputs.cachix !== undefined) core.info(`${inputs.cachix} cannot be read: every host is built`)
    return cached
  }
  // Cached means the whole closure is there: a toplevel whose references were lost would
  // otherwise be skipped on every run while each machine builds what is missing.
  let walks: Awaited<ReturnType<typeof walkEach>>
  try {
    walks = await walkEach(
      cache.reader.client,
      hosts.map(h => h.outPath)
    )
  } catch (error: unknown) {
    // An outage that began after the cache was opened: building more is better than not building.
    core.warning(`skip-cached: ${inputs.cachix} could not be read (${errorMessage(error)}), so every host is built`)
    return cached
  }
  for (const host of hosts) {
    const walk = walks.get(host.outPath)
    if (walk === undefined) continue
    if (walk.complete) cached.add(host.outPath)
    core.info(`${host.id}: ${describeWalk(host.outPath, walk)}${walk.complete ? '; not building it' : ''}`)
  }
  return cached
}

export interface Pushing {
  pusher: Pusher
  /** path → compressed bytes, for every upload of this run */
  pushed: Map<string, number>
}

/** The pusher the build streams to, when this leg pushes. */
export function startPushing(inputs: Inputs, cache: CacheSetup, store: NixStore): Pushing | undefined {
  if (!cache.canPush || !cache.session) return undefined
  const pushed = new Map<string, number>()
  const pusher = createPusher(cache.session, store, {
    jobs: inputs.pushJobs,
    exclude: inputs.pushFilter,
    log: STEP_LOG,
    onUploaded: (path, size) => pushed.set(path, size)
  })
  return { pusher, pushed }
}

export interface BuildRequest {
  installables: string[]
  /** The derivations of the hosts being built, for the dry run's "substituted" count. */
  hostDrvs: string[]
  startedAt: number
  work: WorkFiles
  pusher?: Pusher
  failures: FailedBuildWatcher
  /** Also told every line of the build's log. */
  onLine?: (line: string) => void
}

export interface BuildPhase {
  outcome?: BuildResult
  /** Paths the dry run said Nix would fetch rather than build (for the host derivations). */
  substitutedPlanned: string[]
}

/** One nix build of every installable, each output streamed to the pusher as it is built. */
export async function buildPhase(inputs: Inputs, env: NodeJS.ProcessEnv, request: BuildRequest): Promise<BuildPhase> {
  if (request.installables.length === 0) {
    core.info('Nothing to build.')
    return { substitutedPlanned: [] }
  }
  const substitutedPlanned = await plannedFetches(request.hostDrvs, env)
  const budgetMs = (): number | undefined =>
    buildBudgetMs(inputs.timeBudgetMinutes, inputs.drainTimeoutSeconds, STOP_GRACE_MS, Date.now() - request.startedAt)
  const outcome = await buildDespiteDeadSubstituters(
    {
      installables: request.installables,
      keepGoing: inputs.keepGoing,
      extraArgs: inputs.extraArgs,
      spoolFile: request.work.spool,
      env,
      pusher: request.pusher,
      stopBuildingAfterMs: budgetMs(),
      heartbeatMs: heartbeatMs(),
      log: {
        info: line => {
          request.failures.onLine(line)
          request.onLine?.(line)
          core.info(line)
        },
        warning: line => core.warning(line)
      }
    },
    budgetMs
  )
  return { outcome, substitutedPlanned }
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

export interface BuildVerdict {
  results: HostResult[]
  findings: Finding[]
  failedBuilds: FailedBuild[]
}

/** Each host's result after the build, and what went wrong with each failed derivation (its log's end). */
export async function judgeBuild(
  inputs: Inputs,
  hosts: HostInfo[],
  cached: Set<string>,
  build: BuildPhase,
  failures: FailedBuildWatcher,
  store: NixStore,
  env: NodeJS.ProcessEnv
): Promise<BuildVerdict> {
  const valid = await store.validPaths(hosts.filter(h => !cached.has(h.outPath)).map(h => h.outPath))
  const results = hostResults(hosts, cached, valid, build.outcome)
  const failedBuilds = await failedBuildLogs(failures.derivations(), name => failures.printedLog(name), env)
  // Why it failed, where nobody has to scroll for it: each failed derivation and its log's end.
  const findings = buildFindings(results, build.outcome, failedBuilds.map(failedBuildFinding), inputs.timeBudgetMinutes)
  return { results, findings, failedBuilds }
}

/** Drains what the build queued, then pushes what the cache still lacks of every built root, within `drainMs`. */
export async function pushPhase(
  inputs: Inputs,
  cache: CacheSetup,
  pushing: Pushing,
  store: NixStore,
  filter: PushFilter,
  roots: string[],
  drainMs: number
): Promise<FinalPush> {
  const session = cache.session!
  const valid = await store.validPaths(roots)
  return finalPush({
    session,
    store,
    filter,
    pusher: pushing.pusher,
    roots: [...valid],
    drainMs,
    jobs: inputs.pushJobs,
    exclude: inputs.pushFilter,
    onUploaded: (path, size) => pushing.pushed.set(path, size),
    heartbeatMs: heartbeatMs(),
    log: STEP_LOG
  })
}

/** Outputs, annotations and the summary; then the step's verdict. */
export async function reportPhase(
  inputs: Inputs,
  store: NixStore,
  record: RunRecord,
  failedBuilds: FailedBuild[],
  flakeCache: FlakeCacheState | undefined
): Promise<void> {
  await countPerHost(store, record)
  const status = await publish(record)
  if (failedBuilds.length > 0) await core.summary.addRaw(renderFailedBuilds(failedBuilds)).write()
  core.saveState(State.Finished, 'true')
  await saveFlakeCache(flakeCache)
  const failure = stepFailure(record.results, status, inputs.failOnPushError, record.findings)
  if (failure !== undefined) core.setFailed(failure)
}

/** The installables of this leg: the hosts still to build, then the pre-warm attributes. */
export async function installablesPhase(
  inputs: Inputs,
  toBuild: HostInfo[],
  env: NodeJS.ProcessEnv
): Promise<{ installables: string[]; attributeOutputs: string[] }> {
  const attributeOutputs: string[] = []
  for (const attribute of inputs.attributes) attributeOutputs.push(await attributeOutPath(inputs.flake, attribute, env))
  return {
    installables: [
      ...toBuild.map(h => installable(inputs.flake, h)),
      ...inputs.attributes.map(a => `${inputs.flake}#${a}`)
    ],
    attributeOutputs
  }
}
