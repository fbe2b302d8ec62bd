import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildAndPush } from '../src/nix-build/build-and-push.js'
import { buildArgs, startBuild } from '../src/nix-build/nix-build.js'
import { renderHookScript } from '../src/nix-build/post-build-hook.js'
import { NixStore } from '../src/nix/store.js'
import { createPusher } from '../src/push/create.js'
import { openCachixSession } from '../src/cachix/session.js'
import { PUSH_SETTINGS, WRITE_TOKEN } from './config.js'
import { countSpawns } from './spawn-count.js'

// A child entry, run under the action's Node: one build of the bench's derivations, either
// plain (`nix build` as the action starts it, no hook) or as the action and the CLI build
// and push: post-build-hook → spool → pusher while building, then the drain.

export interface BuildPushRequest {
  mode: 'plain' | 'push'
  /** Installable and the arguments that select it (e.g. -f file.nix root). */
  installable: string
  extraArgs: string[]
  workDir: string
  serverUrl?: string
  cache?: string
}

export interface BuildPushResult {
  /** From the start until nix build has exited and every built output was handed to the pusher. */
  buildMs: number
  /** After that, until the pusher had uploaded everything. */
  drainMs: number
  exitCode: number
  built: number
  uploaded: number
  pendingAtBuildEnd: number
  /** Programs this process started (nix build itself, and the pusher's nix, nix-store and zstd calls). */
  spawned: Record<string, number>
  failures: string[]
}

const request = JSON.parse(process.argv[2] ?? '{}') as BuildPushRequest
const quiet = { info: () => undefined, warning: (line: string) => process.stderr.write(`build-push: ${line}\n`) }
const spawned = countSpawns()
let result: BuildPushResult
const started = performance.now()
if (request.mode === 'plain') {
  const build = startBuild(
    buildArgs([request.installable], { keepGoing: true, extraArgs: request.extraArgs }),
    process.env,
    () => undefined
  )
  const exitCode = await build.done
  result = {
    buildMs: performance.now() - started,
    drainMs: 0,
    exitCode,
    built: 0,
    uploaded: 0,
    pendingAtBuildEnd: 0,
    spawned,
    failures: []
  }
} else {
  const session = await openCachixSession({
    baseUrl: request.serverUrl,
    cacheName: request.cache ?? '',
    authToken: WRITE_TOKEN,
    compression: PUSH_SETTINGS.compression
  })
  const pusher = createPusher(session, new NixStore())
  const work = await mkdtemp(join(request.workDir, 'build-push-'))
  const spoolFile = join(work, 'built.spool')
  const hook = join(work, 'post-build-hook.sh')
  await writeFile(spoolFile, '')
  await writeFile(hook, renderHookScript(spoolFile), { mode: 0o755 })
  const outcome = await buildAndPush({
    installables: [request.installable],
    keepGoing: true,
    extraArgs: [...request.extraArgs, '--option', 'post-build-hook', hook],
    spoolFile,
    env: process.env,
    pusher,
    heartbeatMs: 600_000,
    log: quiet
  })
  const buildMs = performance.now() - started
  const pendingAtBuildEnd = pusher.totals().pending
  // What the CLI does next: the roots once more (the pusher skips what it already has), then drain.
  pusher.add(outcome.builtOutputs)
  const report = await pusher.drain()
  await rm(work, { recursive: true, force: true })
  result = {
    buildMs,
    drainMs: performance.now() - started - buildMs,
    exitCode: outcome.exitCode,
    built: outcome.builtDrvs.length,
    uploaded: report.uploaded,
    pendingAtBuildEnd,
    spawned,
    failures: [...report.failures.map(f => `${f.path}: ${f.error}`), ...(report.fatal ? [report.fatal] : [])]
  }
}
process.stdout.write(`${JSON.stringify(result)}\n`)
