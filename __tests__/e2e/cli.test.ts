import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { distDir } from '../../harness/runner.js'
import { sampleFlake } from '../../harness/sample-flake.js'
import { runCommand } from '../../src/util/process.js'
import { execWithEnv } from '../support/exec.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'
import { CACHE, type Server, cachixConfigHome, cli, evalRaw, laptopConfig } from '../support/legs.js'

describe('desktop and laptop: the CLI', () => {
  let server: Server
  let flake: string
  let home: string
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
    flake = await sampleFlake()
    // Credentials as `cachix authtoken` leaves them, not in the environment.
    home = await cachixConfigHome()
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
    const etc = await evalRaw(flake, 'nixosConfigurations.alpha.config.system.build.toplevel.etc')
    await rm(join(server.dataDir, CACHE, `${etc.slice(11, 43)}.narinfo`))
    const check = await cli(['check', '--cache', CACHE, '--cachix-url', server.url, '--flake', flake, 'alpha'], {
      NIX_CONFIG: await laptopConfig(server)
    })
    // The whole result, so that a failure shows the CLI's own message.
    expect({ code: check.code, stderr: check.stderr }).toEqual({ code: 1, stderr: expect.any(String) as unknown })
    const etcDrv = await evalRaw(flake, 'nixosConfigurations.alpha.config.system.build.toplevel.etc.drvPath')
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
