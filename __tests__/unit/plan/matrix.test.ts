import { describe, expect, it } from '@jest/globals'
import { planMatrix, planAttributes } from '../../../src/plan/matrix.js'
import { parsePlanInputs } from '../../../src/plan/inputs.js'
import { read } from '../../support/inputs.js'

describe('planner', () => {
  const hosts = [
    { name: 'alpha', system: 'x86_64-linux', outPath: '/nix/store/a' },
    { name: 'arm', system: 'aarch64-linux', outPath: '/nix/store/b' },
    { name: 'mac', system: 'aarch64-darwin', outPath: '/nix/store/c' }
  ]
  const runners = { 'x86_64-linux': 'ubuntu-latest', 'aarch64-linux': 'ubuntu-24.04-arm' }
  it('one row per uncached host with its runner; cached and unmapped hosts are left out', () => {
    expect(planMatrix(hosts, new Set(['/nix/store/a']), runners)).toEqual({
      rows: [{ host: 'arm', system: 'aarch64-linux', runner: 'ubuntu-24.04-arm', kind: 'nixos' }],
      cached: ['alpha'],
      unmapped: ['mac']
    })
  })
  it('everything cached is an empty matrix', () => {
    expect(planMatrix(hosts.slice(0, 2), new Set(['/nix/store/a', '/nix/store/b']), runners).rows).toEqual([])
  })
})

describe('matrix rows say their kind', () => {
  it('darwin hosts go to macOS runners, home-manager hosts to their system’s', () => {
    const runners = parsePlanInputs(read({})).runners
    const plan = planMatrix(
      [
        { name: 'desk', system: 'x86_64-linux', outPath: '/nix/store/a' },
        { name: 'mac', system: 'aarch64-darwin', outPath: '/nix/store/b', kind: 'darwin' },
        { name: 'intel', system: 'x86_64-darwin', outPath: '/nix/store/c', kind: 'darwin' },
        { name: 'alice@nas', system: 'aarch64-linux', outPath: '/nix/store/d', kind: 'home' }
      ],
      new Set(),
      runners
    )
    expect(plan.rows).toEqual([
      { host: 'desk', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' },
      { host: 'mac', system: 'aarch64-darwin', runner: 'macos-15', kind: 'darwin' },
      { host: 'intel', system: 'x86_64-darwin', runner: 'macos-15-intel', kind: 'darwin' },
      { host: 'alice@nas', system: 'aarch64-linux', runner: 'ubuntu-24.04-arm', kind: 'home' }
    ])
  })
})

describe('pre-warm rows', () => {
  const runners = { 'x86_64-linux': 'ubuntu-latest', 'aarch64-linux': 'ubuntu-24.04-arm' }
  it("one row per uncached attribute, marked as an attribute, on its system's runner", () => {
    const attributes = [
      { name: 'nixosConfigurations.desktop.pkgs.thunderbird', system: 'x86_64-linux', outPath: '/nix/store/a' },
      { name: 'nixosConfigurations.pi.pkgs.kodi', system: 'aarch64-linux', outPath: '/nix/store/b' },
      { name: 'nixosConfigurations.desktop.pkgs.firefox', system: 'x86_64-linux', outPath: '/nix/store/c' },
      { name: 'packages.riscv64-linux.x', system: 'riscv64-linux', outPath: '/nix/store/d' }
    ]
    expect(planAttributes(attributes, new Set(['/nix/store/c']), runners)).toEqual({
      rows: [
        {
          attribute: 'nixosConfigurations.desktop.pkgs.thunderbird',
          system: 'x86_64-linux',
          runner: 'ubuntu-latest',
          kind: 'attribute'
        },
        {
          attribute: 'nixosConfigurations.pi.pkgs.kodi',
          system: 'aarch64-linux',
          runner: 'ubuntu-24.04-arm',
          kind: 'attribute'
        }
      ],
      cached: ['nixosConfigurations.desktop.pkgs.firefox'],
      unmapped: ['packages.riscv64-linux.x']
    })
  })
})
