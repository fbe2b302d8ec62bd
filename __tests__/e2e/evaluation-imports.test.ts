import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { distDir, newJob, REPO, runStep, type StepResult } from '../../harness/runner.js'
import { runCommand, type RunResult } from '../../src/util/process.js'
import { execWithEnv } from '../support/exec.js'
import { CACHE, inCache, leg, type Server } from '../support/legs.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

// What a host's evaluation imports (import from derivation) must reach the cache whatever the
// runner's store already holds; each case ends on a laptop: a fresh store that trusts only the
// cache must evaluate the host and realise it without building anything.

const NIX = ['--extra-experimental-features', 'nix-command flakes']
const TOPLEVEL = 'nixosConfigurations.ifd.config.system.build.toplevel'
const IMPORT = 'nixosConfigurations.ifd.pkgs.generated'

async function evalRaw(flake: string, attribute: string): Promise<string> {
  return (await runCommand('nix', [...NIX, 'eval', '--raw', `${flake}#${attribute}`])).stdout
}

/** The import, built in this machine's store as an earlier `nixos-rebuild` or planner would have. */
async function importInStore(flake: string): Promise<string> {
  await runCommand('nix', [...NIX, 'build', '--no-link', '--option', 'substituters', '', `${flake}#${IMPORT}`])
  return evalRaw(flake, `${IMPORT}.outPath`)
}

/** The laptop: a fresh store, the cache its only substituter and its key the only one trusted, max-jobs 0. */
async function laptop(server: Server, flake: string): Promise<{ evaluated: RunResult; realised: RunResult }> {
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
  const evaluated = await runCommand('nix', [...NIX, 'eval', '--raw', `${flake}#${TOPLEVEL}.outPath`, ...options], {
    okCodes: [1]
  })
  const realised = await runCommand('nix', [...NIX, 'build', '--no-link', `${flake}#${TOPLEVEL}`, ...options], {
    okCodes: [1]
  })
  return { evaluated, realised }
}

async function expectLaptopBuildsNothing(server: Server, flake: string, toplevel: string): Promise<void> {
  const { evaluated, realised } = await laptop(server, flake)
  expect({ code: evaluated.code, error: evaluated.stderr.split('\n').find(l => l.includes('error:')) }).toEqual({
    code: 0,
    error: undefined
  })
  expect(evaluated.stdout).toBe(toplevel)
  expect(realised.stderr).not.toMatch(/building '/)
  expect(realised.code).toBe(0)
}

describe('what evaluation imports reaches the cache, whatever store the runner starts with', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  async function plan(flake: string, inputs: Record<string, string>): Promise<StepResult> {
    const result = await runStep({
      step: 'plan',
      job: await newJob(),
      cwd: flake,
      inputs: { cachix: CACHE, 'cachix-url': server.url, ...inputs },
      actionFile: join(REPO, 'plan', 'action.yml')
    })
    expect(result.code).toBe(0)
    return result
  }

  it('plan, then a leg, on one store: the planner pushes the import it built, the leg finds it valid', async () => {
    const flake = await fleetFlake({ hosts: { ifd: { ifd: true } } })
    const generated = await evalRaw(flake, `${IMPORT}.outPath`)
    const planned = await plan(flake, { 'cachix-auth-token': WRITE_TOKEN })
    expect(JSON.parse(planned.outputs.hosts)).toEqual(['ifd'])
    expect(await inCache(server, generated)).toBe(true)
    const { main } = await leg(server, flake, { system: 'x86_64-linux', hosts: 'ifd' })
    expect(main.code).toBe(0)
    await expectLaptopBuildsNothing(server, flake, (JSON.parse(main.outputs.hosts) as Record<string, string>).ifd)
  }, 300_000)

  it('a store that holds the import before the leg starts: the leg pushes it', async () => {
    const flake = await fleetFlake({ hosts: { ifd: { ifd: true } } })
    const generated = await importInStore(flake)
    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(0)
    expect(main.stdout).toMatch(/ifd: its evaluation imports 1 path/)
    expect(await inCache(server, generated)).toBe(true)
    await expectLaptopBuildsNothing(server, flake, (JSON.parse(main.outputs.hosts) as Record<string, string>).ifd)
  }, 300_000)

  it('the CLI build on a desktop whose store has the import pushes it', async () => {
    const flake = await fleetFlake({ hosts: { ifd: { ifd: true } } })
    const generated = await importInStore(flake)
    const home = await mkdtemp(join(tmpdir(), 'xdg-'))
    await mkdir(join(home, 'cachix'))
    await writeFile(
      join(home, 'cachix', 'cachix.dhall'),
      `{ authToken = "${WRITE_TOKEN}", hostname = "https://cachix.org", binaryCaches = [] : List { name : Text, secretKey : Text } }\n`
    )
    const built = await execWithEnv(
      process.execPath,
      [
        join(distDir(), 'cli', 'index.js'),
        'build',
        '--cache',
        CACHE,
        '--cachix-url',
        server.url,
        '--flake',
        flake,
        '--host',
        'ifd'
      ],
      // The desktop has no network substituter here (cache.nixos.org is out of reach).
      {
        ...process.env,
        CACHIX_AUTH_TOKEN: '',
        CACHIX_SIGNING_KEY: '',
        XDG_CONFIG_HOME: home,
        NIX_CONFIG: 'substituters ='
      },
      [1, 2, 100]
    )
    expect(built.code).toBe(0)
    expect(built.stderr).toMatch(/fleet: pushed \d+ paths .* 0 failed/)
    expect(await inCache(server, generated)).toBe(true)
    await expectLaptopBuildsNothing(server, flake, await evalRaw(flake, `${TOPLEVEL}.outPath`))
  }, 300_000)

  it('an import the cache lost after an earlier run is a hole in the host: not skipped, pushed again', async () => {
    const flake = await fleetFlake({ hosts: { ifd: { ifd: true } } })
    const first = await leg(server, flake, { system: 'x86_64-linux' })
    expect(first.main.code).toBe(0)
    const generated = await evalRaw(flake, `${IMPORT}.outPath`)
    // Garbage collection in the cache; the runner's store (self-hosted, or restored) still has it.
    await rm(join(server.dataDir, CACHE, `${generated.slice(11, 43)}.narinfo`))
    expect(await inCache(server, generated)).toBe(false)

    // A planner that may not push (no token) keeps the host's row: the host is not whole.
    const planned = await plan(flake, {})
    expect(JSON.parse(planned.outputs.hosts)).toEqual(['ifd'])
    expect(JSON.parse(planned.outputs['cached-hosts'])).toEqual([])

    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(0)
    expect(JSON.parse(main.outputs['skipped-hosts'])).toEqual([])
    expect(main.outputs.coverage).toBe('100%')
    expect(await inCache(server, generated)).toBe(true)
    await expectLaptopBuildsNothing(server, flake, (JSON.parse(main.outputs.hosts) as Record<string, string>).ifd)
  }, 300_000)
})
