import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withoutAarch64Binfmt } from '../../harness/hosted/binfmt.js'
import { distDir, newJob, REPO, runStep } from '../../harness/runner.js'
import { sampleFlake } from '../../harness/sample-flake.js'
import { runCommand, type RunResult } from '../../src/util/process.js'
import { execWithEnv } from '../support/exec.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

type Server = Awaited<ReturnType<typeof startTestServer>>
const CACHE = 'fleet'

async function cli(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return execWithEnv(
    process.execPath,
    [join(distDir(), 'cli', 'index.js'), ...args],
    { ...process.env, CACHIX_AUTH_TOKEN: '', CACHIX_SIGNING_KEY: '', ...env },
    [1, 2, 100]
  )
}

/** A laptop: its own empty store, substituting only from the cache and trusting only its key. */
async function laptopConfig(server: Server): Promise<string> {
  const store = await mkdtemp(join(tmpdir(), 'laptop-store-'))
  return `store = ${store}\nsubstituters = ${server.cacheUrl(CACHE)}\ntrusted-public-keys = ${server.publicKeys(CACHE).join(' ')}\n`
}

async function evalOut(flake: string, attribute: string): Promise<string> {
  return (
    await runCommand('nix', [
      '--extra-experimental-features',
      'nix-command flakes',
      'eval',
      '--raw',
      `${flake}#${attribute}`
    ])
  ).stdout
}

describe('desktop and laptop: the CLI', () => {
  let server: Server
  let flake: string
  let home: string
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
    flake = await sampleFlake()
    // Credentials as `cachix authtoken` leaves them, not in the environment.
    home = await mkdtemp(join(tmpdir(), 'xdg-'))
    await mkdir(join(home, 'cachix'))
    await writeFile(
      join(home, 'cachix', 'cachix.dhall'),
      `{ authToken = "${WRITE_TOKEN}", hostname = "https://cachix.org", binaryCaches = [] : List { name : Text, secretKey : Text } }\n`
    )
  })
  afterAll(async () => server.close())

  it('desktop: build pushes while building, and a laptop check then reports 0 to build', async () => {
    const built = await cli(
      ['build', '--cache', CACHE, '--cachix-url', server.url, '--flake', flake, '--host', 'alpha'],
      { XDG_CONFIG_HOME: home }
    )
    expect(built.code).toBe(0)
    expect(built.stderr).toMatch(/fleet: pushed 4 paths .* 0 failed/)
    expect(`${built.stdout}${built.stderr}`).not.toContain(WRITE_TOKEN)
    const check = await cli(['check', '--cache', CACHE, '--cachix-url', server.url, '--flake', flake, 'alpha'], {
      NIX_CONFIG: await laptopConfig(server)
    })
    expect({ code: check.code, stdout: check.stdout, stderr: check.stderr }).toEqual({
      code: 0,
      stdout: expect.stringContaining('alpha: switching downloads 4 paths and builds nothing.') as unknown,
      stderr: expect.any(String) as unknown
    })
  })

  it('laptop: after a path disappears from the cache, check names it and says why', async () => {
    const etc = await evalOut(flake, 'nixosConfigurations.alpha.config.system.build.toplevel.etc')
    await rm(join(server.dataDir, CACHE, `${etc.slice(11, 43)}.narinfo`))
    const check = await cli(['check', '--cache', CACHE, '--cachix-url', server.url, '--flake', flake, 'alpha'], {
      NIX_CONFIG: await laptopConfig(server)
    })
    // The whole result, so that a failure shows the CLI's own message.
    expect({ code: check.code, stderr: check.stderr }).toEqual({ code: 1, stderr: expect.any(String) as unknown })
    const etcDrv = await evalOut(flake, 'nixosConfigurations.alpha.config.system.build.toplevel.etc.drvPath')
    expect(check.stdout).toContain(etcDrv)
    expect(check.stdout).toMatch(/not in fleet although the toplevel is: a push failed or was cut off/)
    expect(check.stdout).toMatch(/its closure in fleet is incomplete \(1 missing\)/)
  })

  it('laptop: a host CI never pushed is reported as not in the cache yet', async () => {
    const check = await cli(['check', '--cache', CACHE, '--cachix-url', server.url, '--flake', flake, 'beta'], {
      NIX_CONFIG: await laptopConfig(server)
    })
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(/beta: switching would build 2 derivations/)
    expect(check.stdout).toMatch(/the toplevel is not in fleet yet/)
  })

  it('desktop: push of given paths (and stdin), counted exactly; a second push uploads nothing', async () => {
    const hello = (
      await runCommand('nix', [
        '--extra-experimental-features',
        'nix-command flakes',
        'build',
        '--no-link',
        '--json',
        `${flake}#nixosConfigurations.beta.pkgs.hello`,
        '--option',
        'substituters',
        ''
      ])
    ).stdout
    const path = (JSON.parse(hello) as { outputs: { out: string } }[])[0].outputs.out
    const first = await cli(['push', '--cache', CACHE, '--cachix-url', server.url, path], {
      CACHIX_AUTH_TOKEN: WRITE_TOKEN
    })
    expect(first.stderr).toMatch(/fleet: pushed 1 paths .* 0 already there/)
    const again = await execWithEnv(
      'sh',
      [
        '-c',
        `echo ${path} | "$0" "$1" push --cache ${CACHE} --cachix-url ${server.url}`,
        process.execPath,
        join(distDir(), 'cli', 'index.js')
      ],
      { ...process.env, CACHIX_AUTH_TOKEN: WRITE_TOKEN }
    )
    expect(again.stderr).toMatch(/fleet: pushed 0 paths .* 1 already there/)
  })

  it('refuses to push without credentials, in one line', async () => {
    const result = await cli(
      ['push', '--cache', CACHE, '--cachix-url', server.url, '/nix/store/00000000000000000000000000000000-x'],
      { XDG_CONFIG_HOME: await mkdtemp(join(tmpdir(), 'empty-')) }
    )
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/no Cachix credentials to push to fleet: set CACHIX_AUTH_TOKEN/)
    ])
  })
})

describe('the planner sub-action', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  async function plan(flake: string, inputs: Record<string, string> = {}) {
    const job = await newJob()
    const result = await runStep({
      step: 'plan',
      job,
      cwd: flake,
      inputs: { cachix: CACHE, 'cachix-url': server.url, ...inputs },
      actionFile: join(REPO, 'plan', 'action.yml')
    })
    expect(result.code).toBe(0)
    return {
      matrix: JSON.parse(result.outputs.matrix) as {
        include: { host: string; system: string; runner: string; kind: string }[]
      },
      any: result.outputs.any,
      cached: JSON.parse(result.outputs['cached-hosts']) as string[]
    }
  }

  it('one row per host with its runner, cached hosts dropped, empty when all are cached', async () => {
    const flake = await sampleFlake()
    const before = await plan(flake)
    expect(before.matrix.include).toEqual([
      { host: 'alpha', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' },
      { host: 'arm', system: 'aarch64-linux', runner: 'ubuntu-24.04-arm', kind: 'nixos' },
      { host: 'beta', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' }
    ])
    expect(before.any).toBe('true')

    const x86 = await newJob()
    const inputs = { cachix: CACHE, 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN, system: 'x86_64-linux' }
    expect((await runStep({ step: 'main', job: x86, cwd: flake, inputs })).code).toBe(0)
    await runStep({ step: 'post', job: x86, cwd: flake, inputs })
    const half = await plan(flake, { 'aarch64-runner': 'ubuntu-latest' })
    expect(half.matrix.include).toEqual([
      { host: 'arm', system: 'aarch64-linux', runner: 'ubuntu-latest', kind: 'nixos' }
    ])
    expect(half.cached).toEqual(['alpha', 'beta'])

    const arm = await newJob()
    // An x86 hosted runner building the arm host under QEMU, which it registers itself.
    const armMain = await withoutAarch64Binfmt(() =>
      runStep({ step: 'main', job: arm, cwd: flake, inputs: { ...inputs, system: 'aarch64-linux' } })
    )
    expect(armMain.code).toBe(0)
    await runStep({ step: 'post', job: arm, cwd: flake, inputs })
    const done = await plan(flake)
    expect(done.matrix).toEqual({ include: [] })
    expect(done.any).toBe('false')
  })
})
