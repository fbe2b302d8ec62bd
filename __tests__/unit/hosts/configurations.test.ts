import { describe, expect, it } from '@jest/globals'
import {
  allHosts,
  attributePath,
  byKind,
  detailsExpression,
  findHost,
  hostId,
  installable,
  isMissingOutput,
  kindSpec,
  outPathsExpression,
  parseHostReference,
  resolveHost,
  resolveHosts,
  systemsExpression,
  type ConfigurationNames
} from '../../../src/hosts/configurations.js'

// A fleet like the issue's: two NixOS machines, a Mac, a NAS managed by home-manager alone,
// and a name ("nas") that is both a NixOS host and a home-manager configuration.
const FLEET: ConfigurationNames = { nixos: ['desk', 'laptop', 'nas'], darwin: ['mac'], home: ['alice@nas', 'nas'] }

describe('what each kind builds', () => {
  it.each([
    ['nixos', 'nixosConfigurations."desk".config.system.build.toplevel', 'toplevel'],
    ['darwin', 'darwinConfigurations."desk".system', 'system'],
    ['home', 'homeConfigurations."desk".activationPackage', 'activation package']
  ] as const)('%s: %s', (kind, path, closure) => {
    expect(attributePath({ kind, attribute: 'desk' })).toBe(path)
    expect(kindSpec(kind).closureName).toBe(closure)
  })

  it('quotes names Nix would otherwise read as syntax', () => {
    expect(installable('.', { kind: 'home', attribute: 'alice@nas.lan' })).toBe(
      '.#homeConfigurations."alice@nas.lan".activationPackage'
    )
    expect(attributePath({ kind: 'nixos', attribute: 'a${b}' })).toBe(
      'nixosConfigurations."a\\${b}".config.system.build.toplevel'
    )
  })
})

describe('host references', () => {
  it.each([
    ['desk', { attribute: 'desk' }],
    ['alice@nas', { attribute: 'alice@nas' }],
    ['alice@nas.lan', { attribute: 'alice@nas.lan' }],
    ["x'-_1", { attribute: "x'-_1" }],
    ['home:alice@nas', { kind: 'home', attribute: 'alice@nas' }],
    ['darwin:mac', { kind: 'darwin', attribute: 'mac' }],
    ['nixos:nas', { kind: 'nixos', attribute: 'nas' }]
  ])('%s', (text, ref) => {
    expect(parseHostReference(text)).toEqual(ref)
  })

  it.each([
    ['mac:book', '"mac:book" has the prefix mac:, which is none of nixos:, darwin:, home:'],
    ['home:', '"home:" is not home:NAME with NAME an attribute name of homeConfigurations'],
    [
      'bad!host',
      '"bad!host" is not a host name (a configuration\'s attribute name, optionally prefixed with nixos:, darwin: or home:)'
    ],
    ['-x', '"-x" is not a host name']
  ])('refuses %s', (text, message) => {
    expect(() => parseHostReference(text)).toThrow(message)
  })
})

describe('how a name resolves across the three kinds', () => {
  it.each([
    ['desk', { kind: 'nixos', attribute: 'desk', id: 'desk' }],
    ['mac', { kind: 'darwin', attribute: 'mac', id: 'mac' }],
    ['alice@nas', { kind: 'home', attribute: 'alice@nas', id: 'alice@nas' }],
    ['darwin:mac', { kind: 'darwin', attribute: 'mac', id: 'mac' }],
    ['nixos:nas', { kind: 'nixos', attribute: 'nas', id: 'nixos:nas' }],
    ['home:nas', { kind: 'home', attribute: 'nas', id: 'home:nas' }]
  ])('%s', (reference, host) => {
    expect(resolveHost(reference, FLEET)).toEqual(host)
  })

  it('a plain name two kinds have is refused, naming both', () => {
    expect(() => resolveHost('nas', FLEET)).toThrow(
      /^host nas is ambiguous: it is nixos:nas and home:nas; write one of those$/
    )
  })

  it('a missing name lists what the flake has, in one line', () => {
    expect(() => resolveHost('pi', FLEET)).toThrow(
      /^host pi not found \(the flake has: nixos:desk, nixos:laptop, nixos:nas, darwin:mac, home:alice@nas, home:nas\)$/
    )
    expect(() => resolveHost('home:desk', FLEET)).toThrow(
      /^host home:desk not found: homeConfigurations has no desk \(the flake has: /
    )
    expect(() => resolveHost('a', { nixos: [], darwin: [], home: [] })).toThrow(
      'host a not found (the flake has: no nixosConfigurations, darwinConfigurations or homeConfigurations)'
    )
  })

  it('ids: the plain name unless another kind has it too', () => {
    expect(allHosts(FLEET)).toEqual([
      { kind: 'home', attribute: 'alice@nas', id: 'alice@nas' },
      { kind: 'nixos', attribute: 'desk', id: 'desk' },
      { kind: 'home', attribute: 'nas', id: 'home:nas' },
      { kind: 'nixos', attribute: 'laptop', id: 'laptop' },
      { kind: 'darwin', attribute: 'mac', id: 'mac' },
      { kind: 'nixos', attribute: 'nas', id: 'nixos:nas' }
    ])
    expect(hostId({ kind: 'darwin', attribute: 'mac' }, FLEET)).toBe('mac')
  })

  it('every id resolves back to its own configuration', () => {
    for (const host of allHosts(FLEET)) expect(resolveHost(host.id, FLEET)).toEqual(host)
  })

  it('two spellings of one host are one host; order is as written', () => {
    expect(resolveHosts(['mac', 'desk', 'darwin:mac'], FLEET).map(h => h.id)).toEqual(['mac', 'desk'])
  })

  it('a base revision may lack a host: findHost says undefined instead of throwing', () => {
    expect(findHost('pi', FLEET)).toBeUndefined()
    expect(findHost('nas', FLEET)).toBeUndefined()
    expect(findHost('home:nas', FLEET)).toEqual({ kind: 'home', attribute: 'nas', id: 'home:nas' })
  })

  it('groups by kind in the kinds order', () => {
    expect(byKind(allHosts(FLEET)).map(([kind, group]) => [kind, group.map(h => h.attribute)])).toEqual([
      ['nixos', ['desk', 'laptop', 'nas']],
      ['darwin', ['mac']],
      ['home', ['alice@nas', 'nas']]
    ])
  })
})

describe('evaluation expressions per kind', () => {
  it('the NixOS ones read config.system.build.toplevel', () => {
    expect(systemsExpression('nixos')).toBe('cs: builtins.mapAttrs (n: c: c.config.system.build.toplevel.system) cs')
    expect(detailsExpression('nixos', ['a'])).toContain('let t = c.config.system.build.toplevel;')
  })

  it.each([
    ['darwin', 'cs: builtins.mapAttrs (n: c: if { "mac" = null; } ? ${n} then c.system.system else null) cs'],
    ['home', 'cs: builtins.mapAttrs (n: c: if { "mac" = null; } ? ${n} then c.activationPackage.system else null) cs']
  ] as const)('%s systems', (kind, expression) => {
    expect(systemsExpression(kind, ['mac'])).toBe(expression)
  })

  it('details read the build path and nix.settings, absent settings being no caches', () => {
    const home = detailsExpression('home', ['alice@nas'])
    expect(home).toContain('let t = c.activationPackage; s = c.config.nix.settings or {};')
    expect(home).toContain('(s.substituters or []) ++ (s.extra-substituters or [])')
    expect(home).toContain('builtins.intersectAttrs { "alice@nas" = null; } cs')
    expect(outPathsExpression('darwin', ['mac'])).toBe(
      'cs: builtins.mapAttrs (n: c: { out = c.system.outPath; }) (builtins.intersectAttrs { "mac" = null; } cs)'
    )
  })

  it.each([
    [
      'Nix 2.8 and 2.34',
      "error: flake 'path:/x' does not provide attribute 'packages.x86_64-linux.darwinConfigurations', 'legacyPackages.x86_64-linux.darwinConfigurations' or 'darwinConfigurations'",
      'darwinConfigurations',
      true
    ],
    [
      'another output missing',
      "error: flake 'path:/x' does not provide attribute 'packages.x86_64-linux.homeConfigurations', 'legacyPackages.x86_64-linux.homeConfigurations' or 'homeConfigurations'",
      'darwinConfigurations',
      false
    ],
    [
      'an evaluation error',
      "error: attribute 'darwinConfigurations' missing\n at flake.nix:3",
      'darwinConfigurations',
      false
    ]
  ])('a missing output (%s)', (_why, stderr, output, missing) => {
    expect(isMissingOutput(stderr, output)).toBe(missing)
  })
})

describe('scoped evaluation', () => {
  it('a leg that names its hosts evaluates only those', () => {
    expect(systemsExpression('nixos', [])).toBe(systemsExpression('nixos'))
    expect(systemsExpression('nixos', ['a', "b'c"])).toBe(
      'cs: builtins.mapAttrs (n: c: if { "a" = null; "b\'c" = null; } ? ${n} then c.config.system.build.toplevel.system else null) cs'
    )
  })
})
