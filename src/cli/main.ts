import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { buildAndPush } from '../nix-build/build-and-push.js'
import { configurationNames, hostDetails } from '../hosts/flake.js'
import { installable, resolveHosts, type Host } from '../hosts/configurations.js'
import { renderHookScript } from '../nix-build/post-build-hook.js'
import { workFiles } from '../nix-build/work-dir.js'
import { formatBytes } from '../util/format.js'
import { CachixClient } from '../cachix/client.js'
import { configuredSubstituterNarInfos } from '../cachix/substituter-narinfos.js'
import { NixStore } from '../nix/store.js'
import { STORE_DIR } from '../nix/format/store-path.js'
import { createPusher } from '../push/create.js'
import { makePushFilter } from '../push/filter.js'
import type { Pusher, PushReport } from '../push/pusher.js'
import { openCachixSession, type CachixSession } from '../cachix/session.js'
import { parseCommand, USAGE, type CommonOptions } from './args.js'
import { checkHost } from './check.js'
import { cliDiff } from './diff.js'
import { diffJson, renderHostText } from '../diff/render.js'
import { findCredentials } from './credentials.js'
import { Progress } from './progress.js'
import { runNix } from '../nix/command.js'
import { errorMessage } from '../util/errors.js'

/** The desktop's and the laptop's entry: push, build-and-push, check, diff. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const command = parseCommand(argv)
    switch (command.kind) {
      case 'help':
        process.stdout.write(`${USAGE}\n`)
        return 0
      case 'push':
        return await push(command.common, command.paths.length > 0 ? command.paths : await pathsFromStdin())
      case 'build':
        return await build(command.common, await namedHosts(command.common.flake, command.hosts), command.installables)
      case 'check':
        return await check(command.common, command.host)
      case 'diff':
        return await diff(command.common, command.host, command.base, command.json)
    }
  } catch (error: unknown) {
    process.stderr.write(`nix-cachix-build: ${errorMessage(error)}\n`)
    return 2
  }
}

/** The named hosts, of whichever kind each is (names listed, nothing evaluated, when there are none). */
async function namedHosts(flake: string, hosts: string[]): Promise<Host[]> {
  if (hosts.length === 0) return []
  return resolveHosts(hosts, await configurationNames(flake, process.env))
}

async function pathsFromStdin(): Promise<string[]> {
  if (process.stdin.isTTY) throw new Error('push needs store paths as arguments or on stdin')
  let text = ''
  for await (const chunk of process.stdin) text += String(chunk)
  return text.split(/\s+/).filter(p => p !== '')
}

/** A session that may push: the credentials from the environment or cachix.dhall, checked against the cache. */
async function pushSession(options: CommonOptions): Promise<CachixSession> {
  const credentials = await findCredentials(options.cache)
  const opened = await openCachixSession({
    baseUrl: options.cachixUrl,
    cacheName: options.cache,
    authToken: credentials.authToken,
    signingKey: credentials.signingKey,
    compression: options.compression
  })
  if (!opened.canPush)
    throw new Error(
      `no Cachix credentials to push to ${options.cache}: set CACHIX_AUTH_TOKEN (or CACHIX_SIGNING_KEY), or run cachix authtoken`
    )
  return opened
}

/** A client that reads the cache, with the token when there is one (a private cache needs it). */
async function readingClient(options: CommonOptions): Promise<CachixClient> {
  const credentials = await findCredentials(options.cache)
  return new CachixClient({ baseUrl: options.cachixUrl, cacheName: options.cache, authToken: credentials.authToken })
}

function pusherWithProgress(
  options: CommonOptions,
  opened: CachixSession,
  store: NixStore,
  built: () => number
): { pusher: Pusher; progress: Progress } {
  // The progress line reads the pusher's totals, and the pusher reports its events to it.
  const holder: { progress?: Progress } = {}
  const pusher = createPusher(opened, store, {
    jobs: options.jobs,
    exclude: options.pushFilter,
    onEvent: event => holder.progress?.event(event, built())
  })
  const progress = new Progress(process.stderr, () => pusher.totals())
  holder.progress = progress
  return { pusher, progress }
}

function summarise(progress: Progress, report: PushReport, cache: string): number {
  progress.done()
  progress.line(
    `${cache}: pushed ${report.uploaded} paths (${formatBytes(report.uploadedFileBytes)} compressed, ${formatBytes(report.uploadedNarBytes)} NAR), ${report.skippedPresent} already there, ${report.skippedFiltered} filtered, ${report.failed} failed in ${(report.durationMs / 1000).toFixed(1)} s`
  )
  for (const failure of report.failures) progress.line(`  failed: ${failure.path}: ${failure.error}`)
  return report.failed > 0 || report.fatal ? 1 : 0
}

async function push(options: CommonOptions, paths: string[]): Promise<number> {
  if (paths.length === 0) throw new Error('no store paths to push')
  const store = new NixStore()
  const opened = await pushSession(options)
  const { pusher, progress } = pusherWithProgress(options, opened, store, () => 0)
  // ./result symlinks and the like resolve to the store path they point at; store paths are
  // taken as they are (an invalid one is reported by the pusher, not thrown here).
  const resolved = await Promise.all(
    paths.map(async p => (isAbsolute(p) && p.startsWith(`${STORE_DIR}/`) ? p : realpath(p).catch(() => p)))
  )
  pusher.add(resolved)
  return summarise(progress, await pusher.drain(), options.cache)
}

/**
 * Builds the hosts and installables while pushing; then pushes their closures, and what each host's
 * evaluation imports (valid already or built now), which no closure holds and a laptop needs to evaluate it.
 */
async function build(options: CommonOptions, hosts: Host[], others: string[]): Promise<number> {
  const installables = [...hosts.map(h => installable(options.flake, h)), ...others]
  const store = new NixStore()
  const opened = await pushSession(options)
  const work = await mkdtemp(join(tmpdir(), 'nix-cachix-build-'))
  try {
    const { spool: spoolFile, hook } = workFiles(work)
    await writeFile(spoolFile, '')
    await writeFile(hook, renderHookScript(spoolFile), { mode: 0o755 })
    let built = 0
    const { pusher, progress } = pusherWithProgress(options, opened, store, () => built)
    // --option post-build-hook takes effect for root and trusted users; for others the closure
    // push after the build still uploads everything, just not while building.
    const outcome = await buildAndPush({
      installables,
      keepGoing: true,
      extraArgs: ['--option', 'post-build-hook', hook],
      spoolFile,
      env: process.env,
      pusher,
      heartbeatMs: 60_000,
      log: { info: line => progress.line(line), warning: line => progress.line(`warning: ${line}`) },
      onBuilt: count => {
        built = count
      }
    })
    const roots = await hostRoots(options.flake, hosts, progress)
    for (const installable of others) {
      const out = await runNix(['path-info', installable], { okCodes: [1] })
      roots.push(...out.stdout.split('\n').filter(l => l.startsWith('/nix/store/')))
    }
    pusher.add([...(await store.validPaths(roots))])
    const code = summarise(progress, await pusher.drain(), options.cache)
    progress.line(`built ${outcome.builtDrvs.length} derivations; nix build exited ${outcome.exitCode}`)
    return outcome.exitCode !== 0 ? outcome.exitCode : code
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** The hosts evaluated once more, as a leg evaluates them: their outputs, and what their evaluation imports. */
async function hostRoots(flake: string, hosts: Host[], progress: Progress): Promise<string[]> {
  try {
    const roots: string[] = []
    for (const host of await hostDetails(flake, hosts, process.env)) {
      roots.push(host.outPath, ...host.imports)
      if (host.imports.length > 0)
        progress.line(`${host.id}: its evaluation imports ${host.imports.join(', ')}; pushing them too`)
      if (host.importsUnknown !== undefined)
        progress.line(`warning: ${host.id}: not every import could be listed: ${host.importsUnknown}`)
    }
    return roots
  } catch (error: unknown) {
    // nix build said why already; what it built was pushed while building.
    progress.line(`warning: the hosts do not evaluate: ${errorMessage(error).split('\n')[0]}`)
    return []
  }
}

async function check(options: CommonOptions, host: string): Promise<number> {
  const result = await checkHost(options.flake, host, await readingClient(options), makePushFilter(options.pushFilter))
  if (result.importsUnknown !== undefined)
    process.stderr.write(`warning: ${host}: not every import could be listed: ${result.importsUnknown}\n`)
  const imports = result.missingImports
  if (imports.length > 0) {
    process.stdout.write(
      `${host}: evaluating it would first build ${imports.length} import${imports.length === 1 ? '' : 's'} (import from derivation) missing from ${options.cache}:\n`
    )
    for (const i of imports) process.stdout.write(`  ${i.path}\n      ${i.reason}\n`)
  }
  if (result.builds.length === 0) {
    process.stdout.write(
      `${host}: switching downloads ${result.toFetch.length} paths and builds nothing${imports.length === 0 ? '' : ' more'}.\n`
    )
    return imports.length === 0 ? 0 : 1
  }
  process.stdout.write(
    `${host}: switching would build ${result.builds.length} derivation${result.builds.length === 1 ? '' : 's'} (and download ${result.toFetch.length} paths):\n`
  )
  for (const b of result.builds) process.stdout.write(`  ${b.drvPath}\n      ${b.reason}\n`)
  return 1
}

/** Exit 0 with the diff; 1 when there is nothing to compare (e.g. the base is not in the cache). */
async function diff(options: CommonOptions, host: string, base: string | undefined, json: boolean): Promise<number> {
  const client = await readingClient(options)
  // The cache itself lacks what it counts as present upstream: asked as the cache, not as a substituter.
  const cacheUri = await client.getCache().then(
    cache => cache.uri,
    () => undefined
  )
  const substituters = await configuredSubstituterNarInfos({
    env: process.env,
    exclude: cacheUri === undefined ? [] : [cacheUri],
    log: {
      info: line => process.stderr.write(`${line}\n`),
      warning: line => process.stderr.write(`warning: ${line}\n`)
    }
  })
  const result = await cliDiff({ flake: options.flake, host, base, cache: client, substituters, store: new NixStore() })
  process.stdout.write(json ? `${diffJson([result])}\n` : renderHostText(result, options.cache))
  return result.outcome === 'compared' ? 0 : 1
}
