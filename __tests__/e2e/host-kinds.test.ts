import { describe, expect, it } from '@jest/globals'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { realiseInFreshStore } from '../../harness/fresh-store.js'
import { CACHE, inCache, leg, cli, evalRaw, laptopConfig, plan, testServer } from '../support/legs.js'
import { WRITE_TOKEN } from '../support/server.js'

type Row = Record<string, string>

describe('home-manager hosts', () => {
  const server = testServer([
    { name: CACHE, writeTokens: [WRITE_TOKEN] },
    { name: 'community', writeTokens: [WRITE_TOKEN] }
  ])

  it('a homeConfigurations entry builds, pushes and is checked like a host; a fresh store substitutes it with signatures checked', async () => {
    const community = server.cacheUrl('community')
    const flake = await fleetFlake({
      hosts: { desk: {} },
      home: {
        'alice@nas': {
          settings: { 'extra-substituters': [community], 'extra-trusted-public-keys': server.publicKeys('community') }
        }
      }
    })
    const activation = await evalRaw(flake, 'homeConfigurations."alice@nas".activationPackage.outPath')
    const laptop = { NIX_CONFIG: await laptopConfig(server) }
    const check = ['check', '--cache', CACHE, '--cachix-url', server.url, '--flake', flake, 'home:alice@nas']

    const before = await cli(check, laptop)
    expect(before.code).toBe(1)
    expect(before.stdout).toContain('home:alice@nas: switching would build 3 derivations')
    expect(before.stdout).toContain('the activation package is not in fleet yet')

    const { main } = await leg(server, flake, { system: 'x86_64-linux', hosts: 'alice@nas' })
    expect(main.code).toBe(0)
    expect(main.outputs.status).toBe('ok')
    expect(JSON.parse(main.outputs.hosts)).toEqual({ 'alice@nas': activation })
    expect(main.stdout).toContain(`alice@nas (home-manager, x86_64-linux): ${activation}`)
    // The home configuration's own nix.settings caches are used, as a NixOS host's are.
    expect(main.stdout).toContain(`Host substituters: ${community} (probed 1 in`)
    expect([main.outputs.built, main.outputs.pushed]).toEqual(['3', '3'])
    expect(await inCache(server, activation)).toBe(true)

    const after = await cli(check, laptop)
    expect(after.stdout).toBe('home:alice@nas: switching downloads 3 paths and builds nothing.\n')
    expect(after.code).toBe(0)

    const fresh = await realiseInFreshStore(server.cacheUrl(CACHE), server.publicKeys(CACHE), [activation])
    expect(fresh.result.stderr).not.toMatch(/building '/)
    expect(fresh.result.code).toBe(0)

    // Cached like a host: the planner leaves it out and plans only the NixOS host.
    const planned = await plan(server, flake)
    expect(planned.code).toBe(0)
    expect((JSON.parse(planned.outputs.matrix) as { include: Row[] }).include).toEqual([
      { host: 'desk', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' }
    ])
    expect(JSON.parse(planned.outputs['cached-hosts'])).toEqual(['alice@nas'])
  }, 300_000)
})

describe('nix-darwin hosts and names across kinds', () => {
  const server = testServer()

  it('the planner routes darwin systems to macOS runners and marks each row with its kind', async () => {
    const flake = await fleetFlake({
      hosts: { desk: {}, nas: {} },
      home: { 'alice@nas': {}, nas: {} },
      darwin: { mac: { system: 'aarch64-darwin' }, intel: { system: 'x86_64-darwin' } }
    })
    const all = await plan(server, flake)
    expect(all.code).toBe(0)
    expect((JSON.parse(all.outputs.matrix) as { include: Row[] }).include).toEqual([
      { host: 'alice@nas', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'home' },
      { host: 'desk', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' },
      { host: 'home:nas', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'home' },
      { host: 'intel', system: 'x86_64-darwin', runner: 'macos-15-intel', kind: 'darwin' },
      { host: 'mac', system: 'aarch64-darwin', runner: 'macos-15', kind: 'darwin' },
      { host: 'nixos:nas', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' }
    ])
    expect(all.summary).toContain('- mac (nix-darwin, aarch64-darwin) on `macos-15`')
    const toplevels = JSON.parse(all.outputs.toplevels) as Record<string, string>
    expect(toplevels.mac).toBe(await evalRaw(flake, 'darwinConfigurations.mac.system.outPath'))
    expect(toplevels['home:nas']).toBe(await evalRaw(flake, 'homeConfigurations.nas.activationPackage.outPath'))

    const some = await plan(server, flake, { hosts: 'darwin:mac home:nas', 'aarch64-darwin-runner': 'macos-14' })
    expect(some.code).toBe(0)
    expect((JSON.parse(some.outputs.matrix) as { include: Row[] }).include).toEqual([
      { host: 'home:nas', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'home' },
      { host: 'mac', system: 'aarch64-darwin', runner: 'macos-14', kind: 'darwin' }
    ])

    const ambiguous = await plan(server, flake, { hosts: 'nas' })
    expect(ambiguous.code).toBe(1)
    expect(ambiguous.stdout).toContain(
      '::error::host nas is ambiguous: it is nixos:nas and home:nas; write one of those'
    )
    const missing = await plan(server, flake, { hosts: 'pi' })
    expect(missing.code).toBe(1)
    expect(missing.stdout).toContain(
      '::error::host pi not found (the flake has: nixos:desk, nixos:nas, darwin:intel, darwin:mac, home:alice@nas, home:nas)'
    )
  }, 300_000)

  it('a darwin host builds darwinConfigurations.<name>.system; a leg of its system picks it and leaves the aarch64-darwin one to a Mac', async () => {
    const flake = await fleetFlake({
      hosts: { desk: {} },
      home: { desk: {} },
      darwin: { linuxmac: {}, mac: { system: 'aarch64-darwin' } }
    })
    const system = await evalRaw(flake, 'darwinConfigurations.linuxmac.system.outPath')

    // An ambiguous name fails the step in one line, before anything is built.
    const ambiguous = await leg(server, flake, { system: 'x86_64-linux', hosts: 'desk' })
    expect(ambiguous.main.code).toBe(1)
    expect(ambiguous.main.stdout).toContain(
      '::error::host desk is ambiguous: it is nixos:desk and home:desk; write one of those'
    )
    expect(ambiguous.main.stdout).not.toContain('::group::Build')

    const named = await leg(server, flake, { system: 'x86_64-linux', hosts: 'darwin:linuxmac' })
    expect(named.main.code).toBe(0)
    expect(JSON.parse(named.main.outputs.hosts)).toEqual({ linuxmac: system })
    expect(named.main.stdout).toContain(`linuxmac (nix-darwin, x86_64-linux): ${system}`)
    expect(named.main.outputs.built).toBe('3')
    expect(await inCache(server, system)).toBe(true)

    const everything = await leg(server, flake, { system: 'x86_64-linux' })
    expect(everything.main.code).toBe(0)
    expect(everything.main.stdout).toContain(
      'Hosts for x86_64-linux: home:desk, linuxmac, nixos:desk (other legs: mac)'
    )
    expect(JSON.parse(everything.main.outputs['skipped-hosts'])).toEqual(['linuxmac'])
    expect(Object.keys(JSON.parse(everything.main.outputs.hosts) as object)).toEqual([
      'home:desk',
      'linuxmac',
      'nixos:desk'
    ])
  }, 300_000)
})
