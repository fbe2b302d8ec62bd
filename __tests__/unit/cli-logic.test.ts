import { describe, expect, it } from '@jest/globals'
import { parseCommand } from '../../src/cli/args.js'
import { parseCachixDhall } from '../../src/cli/credentials.js'
import { explainBuilds, type CheckFacts } from '../../src/cli/explain.js'
import { derivationOutputsFromJson } from '../../src/nix/format/show-derivation.js'
import { planMatrix } from '../../src/plan/matrix.js'
import { namedHosts } from '../../src/hosts/select.js'
import { parsePlanInputs } from '../../src/plan/inputs.js'

describe('command line', () => {
  it.each([
    [['push', '--cache', 'fleet', '/nix/store/a'], { kind: 'push', paths: ['/nix/store/a'] }],
    [
      ['build', '--cache', 'fleet', '--host', 'a', '--host', 'b'],
      { kind: 'build', hosts: ['a', 'b'], installables: [] }
    ],
    [
      ['check', '--cache', 'fleet', '--flake', '/etc/nixos', 'laptop'],
      { kind: 'check', host: 'laptop', common: expect.objectContaining({ flake: '/etc/nixos' }) }
    ],
    [['--help'], { kind: 'help' }],
    [[], { kind: 'help' }]
  ])('%j', (argv, expected) => {
    expect(parseCommand(argv)).toMatchObject(expected)
  })
  it.each([
    [['deploy', '--cache', 'x'], /unknown command "deploy"/],
    [['push', '/nix/store/a'], /push needs --cache NAME/],
    [['push', '--cache', 'Bad Name'], /--cache "Bad Name" is not a Cachix cache name/],
    [['build', '--cache', 'fleet'], /build needs --host NAME or an installable/],
    [['check', '--cache', 'fleet'], /check takes exactly one host name/],
    [['push', '--cache', 'fleet', '--jobs', '0'], /--jobs "0" is not a positive whole number/],
    [['push', '--cache', 'fleet', '--push-filter', '('], /--push-filter "\(" is not a valid regular expression/],
    [['push', '--cache', 'fleet', '--compression', 'lz4'], /--compression "lz4" is not zstd or xz/]
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(message)
  })
})

describe('cachix.dhall', () => {
  const dhall = `{ authToken = "tok-123"
, hostname = "https://cachix.org"
, binaryCaches =
  [ { name = "other", secretKey = "s1" }
  , { name = "fleet", secretKey = "s2" }
  ]
}`
  it('reads the token and the key of the named cache', () => {
    expect(parseCachixDhall(dhall, 'fleet')).toEqual({ authToken: 'tok-123', signingKey: 's2' })
    expect(parseCachixDhall(dhall, 'none')).toEqual({ authToken: 'tok-123', signingKey: undefined })
    expect(
      parseCachixDhall('{ authToken = "", binaryCaches = [] : List { name : Text, secretKey : Text } }', 'x')
    ).toEqual({ authToken: undefined, signingKey: undefined })
  })
})

describe('why a derivation would be built', () => {
  const base: CheckFacts = {
    cache: 'fleet',
    toplevel: '/nix/store/t',
    toplevelInCache: true,
    dirtyTree: false,
    missingFromCache: new Set(),
    filtered: () => undefined
  }
  const build = { drvPath: '/nix/store/x.drv', outputs: ['/nix/store/x'] }
  it.each([
    [
      'filtered',
      { filtered: (p: string) => (p === '/nix/store/x' ? 'matches push-filter big' : undefined) },
      /never pushed: matches push-filter big/
    ],
    [
      'toplevel not pushed, tree clean',
      { toplevelInCache: false },
      /the toplevel is not in fleet yet: CI has not finished/
    ],
    ['toplevel not pushed, tree dirty', { toplevelInCache: false, dirtyTree: true }, /uncommitted changes/],
    [
      'path lost from a pushed closure',
      { missingFromCache: new Set(['/nix/store/x']) },
      /not in fleet although the toplevel is: a push failed or was cut off/
    ],
    ['in the cache but not trusted here', {}, /this machine does not use it/],
    [
      'only upstream of the cache, found in a substituter of the host',
      { upstream: new Map([['/nix/store/x', 'https://cache.nixos.org']]) },
      /^only upstream of fleet, in https:\/\/cache\.nixos\.org \(Cachix never stores what its upstream has\), and this machine does not substitute from there: add that substituter and its public key to nix\.settings$/
    ],
    [
      'only upstream, even before CI pushed the toplevel',
      { toplevelInCache: false, upstream: new Map([['/nix/store/x', undefined]]) },
      /^only upstream of fleet, in the cache's upstream \(https:\/\/cache\.nixos\.org for cachix\.org\) .* add https:\/\/cache\.nixos\.org and its public key/
    ]
  ])('%s', (_why, facts, reason) => {
    expect(explainBuilds([build], { ...base, ...facts })[0].reason).toMatch(reason)
  })

  const toplevel = { drvPath: '/nix/store/t.drv', outputs: ['/nix/store/t'] }
  it.each([
    [
      'a path the cache lost',
      { unknownPaths: ['/nix/store/x', '/nix/store/y'], upstream: new Map([['/nix/store/y', undefined]]) },
      /^its closure in fleet is incomplete \(1 missing\), so Nix builds it instead of downloading it$/
    ],
    [
      'paths only upstream, which this machine does not use',
      {
        unknownPaths: ['/nix/store/x', '/nix/store/y'],
        upstream: new Map([
          ['/nix/store/x', 'http://nas:8081'],
          ['/nix/store/y', 'http://nas:8081']
        ])
      },
      /^2 paths of its closure are only upstream of fleet, in http:\/\/nas:8081, which this machine does not substitute from, so Nix builds it/
    ]
  ])('the toplevel, when its cached closure has %s', (_why, facts, reason) => {
    expect(explainBuilds([toplevel], { ...base, toplevelDrv: toplevel.drvPath, ...facts })[0].reason).toMatch(reason)
  })
})

describe('show-derivation JSON', () => {
  it('reads full-path keys (≤2.31) and basenames (2.32+)', () => {
    const old = {
      '/nix/store/aaa-x.drv': { outputs: { out: { path: '/nix/store/bbb-x' }, dev: { path: '/nix/store/ccc-x-dev' } } }
    }
    const modern = { 'aaa-x.drv': { outputs: { out: { path: 'bbb-x' } } } }
    expect(derivationOutputsFromJson(old).get('/nix/store/aaa-x.drv')).toEqual([
      '/nix/store/bbb-x',
      '/nix/store/ccc-x-dev'
    ])
    expect(derivationOutputsFromJson(modern).get('/nix/store/aaa-x.drv')).toEqual(['/nix/store/bbb-x'])
  })
})

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
  it('a host list narrows the plan', () => {
    const names = { nixos: ['alpha', 'arm'], darwin: ['mac'], home: [] }
    expect(namedHosts(['alpha'], names).map(h => h.id)).toEqual(['alpha'])
    expect(namedHosts([], names).map(h => h.id)).toEqual(['alpha', 'arm', 'mac'])
    expect(() => namedHosts(['nope'], names)).toThrow('host nope not found')
  })
  it('inputs: arm runner label is configurable, bad labels are refused', () => {
    const read = (v: Record<string, string>) => (n: string) => v[n] ?? ''
    expect(parsePlanInputs(read({ 'aarch64-runner': 'ubuntu-latest' })).runners['aarch64-linux']).toBe('ubuntu-latest')
    expect(() => parsePlanInputs(read({ 'x86_64-runner': 'bad label' }))).toThrow(
      /input x86_64-runner: "bad label" is not a runner label/
    )
  })
})
