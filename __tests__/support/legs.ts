import { afterAll, beforeAll } from '@jest/globals'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { distDir, newJob, REPO, runStep, type RunnerFiles, type StepResult } from '../../harness/runner.js'
import { runNix } from '../../src/nix/command.js'
import type { RunResult } from '../../src/util/process.js'
import { execWithEnv } from './exec.js'
import type { LocalCacheConfig } from '../../harness/server/cachix-server.js'
import { startTestServer, WRITE_TOKEN } from './server.js'

export type Server = Awaited<ReturnType<typeof startTestServer>>
export const CACHE = 'fleet'

/**
 * A Cachix server for the describe block that calls this (the fleet cache by default): started
 * before its tests, closed after them. The server it returns stands for the one started.
 */
export function testServer(caches: LocalCacheConfig[] = [{ name: CACHE, writeTokens: [WRITE_TOKEN] }]): Server {
  let started: Server | undefined
  beforeAll(async () => {
    started = await startTestServer(caches)
  })
  afterAll(async () => started?.close())
  return new Proxy({} as Server, {
    get: (_, key) => {
      if (started === undefined) throw new Error('the test server starts in beforeAll: use it in a test')
      const value: unknown = Reflect.get(started, key)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(started) : value
    }
  })
}

export interface Leg {
  main: StepResult
  post: StepResult
  job: RunnerFiles
}

/** One job of the workflow: main, then post, with the cache's inputs under `inputs`. */
export async function leg(
  server: Server,
  flake: string,
  inputs: Record<string, string>,
  job?: RunnerFiles,
  env?: Record<string, string>
): Promise<Leg> {
  const files = job ?? (await newJob())
  const all = { cachix: CACHE, 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN, ...inputs }
  const main = await runStep({ step: 'main', job: files, cwd: flake, inputs: all, env })
  const post = await runStep({ step: 'post', job: files, cwd: flake, inputs: all, env })
  return { main, post, job: files }
}

/** The planner, run as a workflow runs it, against `cache` (fleet) of the server. */
export async function plan(
  server: Server,
  flake: string,
  inputs: Record<string, string> = {},
  job?: RunnerFiles
): Promise<StepResult> {
  return runStep({
    step: 'plan',
    job: job ?? (await newJob()),
    cwd: flake,
    inputs: { cachix: CACHE, 'cachix-url': server.url, ...inputs },
    actionFile: join(REPO, 'plan', 'action.yml')
  })
}

/** Whether the cache serves the path's narinfo (a private cache is asked with the write token). */
export async function inCache(server: Server, path: string, cache = CACHE): Promise<boolean> {
  const response = await fetch(`${server.cacheUrl(cache)}/${path.slice(11, 43)}.narinfo`, {
    headers: { Authorization: `Bearer ${WRITE_TOKEN}` }
  })
  return response.status === 200
}

/** `nix eval --raw` of an attribute of the flake. */
export async function evalRaw(flake: string, attribute: string): Promise<string> {
  return (await runNix(['eval', '--raw', `${flake}#${attribute}`])).stdout
}

/** `nix build` of an attribute of the flake with no substituter: built here, whatever the caches hold. */
export async function buildHere(flake: string, attribute: string): Promise<void> {
  await runNix(['build', '--no-link', '--option', 'substituters', '', `${flake}#${attribute}`])
}

/**
 * The CLI of dist/ as a user runs it: no Cachix credentials but those in `env` (the action's own
 * children never get them, so it runs with the environment as given).
 */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return execWithEnv(
    process.execPath,
    [join(distDir(), 'cli', 'index.js'), ...args],
    { ...process.env, CACHIX_AUTH_TOKEN: '', CACHIX_SIGNING_KEY: '', ...env },
    [1, 2, 100]
  )
}

/** A laptop: its own empty store, substituting only from the cache and trusting only its key (as NIX_CONFIG). */
export async function laptopConfig(server: Server): Promise<string> {
  const store = await mkdtemp(join(tmpdir(), 'laptop-store-'))
  return `store = ${store}\nsubstituters = ${server.cacheUrl(CACHE)}\ntrusted-public-keys = ${server.publicKeys(CACHE).join(' ')}\n`
}

/**
 * `nix` on a laptop that trusts only the cache: a fresh store, the cache its only substituter and
 * its key the only one trusted, max-jobs 0 (nothing may be built there). Exit codes 1 and 100 are returned.
 */
export async function onLaptop(
  server: Server
): Promise<{ store: string; nix: (args: string[]) => Promise<RunResult> }> {
  const store = await mkdtemp(join(tmpdir(), 'laptop-store-'))
  const options = [
    '--store',
    store,
    '--option',
    'substituters',
    server.cacheUrl(CACHE),
    '--option',
    'trusted-public-keys',
    server.publicKeys(CACHE).join(' '),
    '--option',
    'require-sigs',
    'true',
    '--max-jobs',
    '0',
    '--option',
    'sandbox',
    'false',
    '--option',
    'narinfo-cache-negative-ttl',
    '0'
  ]
  return { store, nix: args => runNix([...args, ...options], { okCodes: [1, 100] }) }
}

/** An XDG_CONFIG_HOME with the write token in cachix/cachix.dhall, as `cachix authtoken` leaves it. */
export async function cachixConfigHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'xdg-'))
  await mkdir(join(home, 'cachix'))
  await writeFile(
    join(home, 'cachix', 'cachix.dhall'),
    `{ authToken = "${WRITE_TOKEN}", hostname = "https://cachix.org", binaryCaches = [] : List { name : Text, secretKey : Text } }\n`
  )
  return home
}
