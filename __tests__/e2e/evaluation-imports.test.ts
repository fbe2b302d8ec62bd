import { describe, expect, it } from '@jest/globals'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fleetFlake } from '../../harness/fleet-flake.js'
import {
  buildHere,
  CACHE,
  cachixConfigHome,
  cli,
  evalRaw,
  inCache,
  laptopConfig,
  leg,
  onLaptop,
  plan,
  testServer,
  type Server
} from '../support/legs.js'
import { reportStep } from '../support/report.js'
import { WRITE_TOKEN } from '../support/server.js'

// What a host's evaluation imports (import from derivation) must reach the cache whatever the
// runner's store already holds. Each case ends on a laptop: a fresh store that trusts only the
// cache evaluates the host and realises it with max-jobs 0, so nothing may be built there.

const TOPLEVEL = 'nixosConfigurations.ifd.config.system.build.toplevel'
const IMPORT = 'nixosConfigurations.ifd.pkgs.generated'

async function expectLaptopBuildsNothing(server: Server, flake: string, toplevel: string): Promise<void> {
  const { nix } = await onLaptop(server)
  const evaluated = await nix(['eval', '--raw', `${flake}#${TOPLEVEL}.outPath`])
  // What Nix says when the laptop would have to build an import (2.34 puts a trace before the cause).
  const error = evaluated.stderr
    .split('\n')
    .filter(l => /error: \S/.test(l))
    .at(-1)
  expect({ code: evaluated.code, error }).toEqual({ code: 0, error: undefined })
  expect(evaluated.stdout).toBe(toplevel)
  const realised = await nix(['build', '--no-link', `${flake}#${TOPLEVEL}`])
  expect(realised.stderr).not.toMatch(/building '/)
  expect(realised.code).toBe(0)
}

/** A flake whose one host imports a derivation's output, and that output's path. */
async function importingFlake(): Promise<{ flake: string; generated: string }> {
  const flake = await fleetFlake({ hosts: { ifd: { ifd: true } } })
  return { flake, generated: await evalRaw(flake, `${IMPORT}.outPath`) }
}

const toplevelOf = (outputs: Record<string, string>): string =>
  (JSON.parse(outputs.hosts) as Record<string, string>).ifd

describe('what evaluation imports reaches the cache, whatever store the runner starts with', () => {
  const server = testServer()

  it('plan, then a leg, on one store: the planner pushes the import it built, the leg finds it valid', async () => {
    const { flake, generated } = await importingFlake()
    const planned = await plan(server, flake, { 'cachix-auth-token': WRITE_TOKEN })
    expect(planned.code).toBe(0)
    expect(JSON.parse(planned.outputs.hosts)).toEqual(['ifd'])
    const pushedByPlanner = await inCache(server, generated)
    const { main } = await leg(server, flake, { system: 'x86_64-linux', hosts: 'ifd' })
    expect(main.code).toBe(0)
    await expectLaptopBuildsNothing(server, flake, toplevelOf(main.outputs))
    expect(pushedByPlanner).toBe(true)
  }, 300_000)

  it('a store that holds the import before the leg starts: the leg pushes it', async () => {
    const { flake, generated } = await importingFlake()
    await buildHere(flake, IMPORT)
    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(0)
    await expectLaptopBuildsNothing(server, flake, toplevelOf(main.outputs))
    expect(main.stdout).toContain(`ifd: its evaluation imports 1 path: ${generated}`)
    expect(main.outputs.coverage).toBe('100%')
  }, 300_000)

  it('the CLI build on a desktop whose store has the import pushes it', async () => {
    const { flake, generated } = await importingFlake()
    await buildHere(flake, IMPORT)
    const home = await cachixConfigHome()
    // The desktop has no network substituter here (cache.nixos.org is out of reach).
    const built = await cli(
      ['build', '--cache', CACHE, '--cachix-url', server.url, '--flake', flake, '--host', 'ifd'],
      {
        XDG_CONFIG_HOME: home,
        NIX_CONFIG: 'substituters ='
      }
    )
    expect(built.code).toBe(0)
    await expectLaptopBuildsNothing(server, flake, await evalRaw(flake, `${TOPLEVEL}.outPath`))
    expect(built.stderr).toContain(`ifd: its evaluation imports ${generated}`)
  }, 300_000)

  it('an import the cache lost after an earlier run is a hole in the host: check names it, not skipped, pushed again', async () => {
    const { flake, generated } = await importingFlake()
    expect((await leg(server, flake, { system: 'x86_64-linux' })).main.code).toBe(0)
    // Garbage collection in the cache; the runner's store (self-hosted, or restored) still has it.
    await rm(join(server.dataDir, CACHE, `${generated.slice(11, 43)}.narinfo`))
    expect(await inCache(server, generated)).toBe(false)
    // A laptop that evaluated the host before (its store has the import) and trusts only the cache:
    // check names the lost import, which a machine without it compiles just to evaluate the host.
    const check = await cli(['check', '--cache', CACHE, '--cachix-url', server.url, '--flake', flake, 'ifd'], {
      NIX_CONFIG: `substituters = ${server.cacheUrl(CACHE)}\ntrusted-public-keys = ${server.publicKeys(CACHE).join(' ')}\n`
    })
    // A laptop that never had it and may not build: Nix's own reason, in words, not its machine log.
    const fresh = await cli(['check', '--cache', CACHE, '--cachix-url', server.url, '--flake', flake, 'ifd'], {
      NIX_CONFIG: `${await laptopConfig(server)}max-jobs = 0\n`
    })

    // A planner that may not push (no token) keeps the host's row: the host is not whole.
    const planned = await plan(server, flake)
    // The fleet's verdict, from the cache itself: the host is not verified while its import is missing.
    const needs = { plan: { result: 'success', outputs: planned.outputs } }
    const report = await reportStep(
      flake,
      { needs: JSON.stringify(needs), cachix: CACHE, 'cachix-url': server.url },
      {}
    )

    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(0)
    await expectLaptopBuildsNothing(server, flake, toplevelOf(main.outputs))
    expect(JSON.parse(planned.outputs.hosts)).toEqual(['ifd'])
    expect(JSON.parse(planned.outputs['cached-hosts'])).toEqual([])
    expect(JSON.parse(planned.outputs.imports)).toEqual({ ifd: [generated] })
    // The whole result, so that a failure shows the CLI's own message.
    expect({ code: check.code, stdout: check.stdout, stderr: check.stderr }).toEqual({
      code: 1,
      stdout: expect.stringContaining(
        `ifd: evaluating it would first build 1 import (import from derivation) missing from ${CACHE}:\n  ${generated}\n      not in ${CACHE}: evaluating the host reads it (import from derivation)`
      ) as unknown,
      stderr: expect.any(String) as unknown
    })
    expect({ code: fresh.code, stderr: fresh.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/could not evaluate .*(unable to start any build|Cannot build)/) as unknown
    })
    expect(fresh.stderr).not.toContain('@nix')
    expect(report.code).toBe(1)
    expect(report.stdout).toContain(
      `ifd: ${generated} (needed by the evaluation of the host (import from derivation)) is not in the cache`
    )
    expect(main.stdout).toContain(`ifd: its evaluation imports ${generated} is not in the cache`)
    expect(JSON.parse(main.outputs['skipped-hosts'])).toEqual([])
    expect(main.outputs.coverage).toBe('100%')
  }, 300_000)
})
