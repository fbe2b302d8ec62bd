import { describe, expect, it } from '@jest/globals'
import type { ClosureWalk } from '../../../src/cachix/closure-walk.js'
import { explainBuilds, explainImports, type CheckFacts } from '../../../src/cli/explain.js'

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

describe('why an import from derivation the cache lacks makes a machine compile', () => {
  const whole: ClosureWalk = { complete: true, checked: 3, upstream: 1 }
  const facts = { cache: 'fleet', host: 'ifd' }
  it('names nothing when every import and its closure are in the cache (upstream counts as present)', () => {
    expect(explainImports(new Map([['/nix/store/gen', whole]]), facts)).toEqual([])
  })
  it.each([
    [
      'the import itself',
      { path: '/nix/store/gen', neededBy: '/nix/store/gen' },
      /^not in fleet: evaluating the host reads it \(import from derivation\), so a machine without it builds it just to evaluate; re-run the workflow .* `nix-cachix-build build --host ifd` on the desktop$/
    ],
    [
      'a path of its closure',
      { path: '/nix/store/dep', neededBy: '/nix/store/gen' },
      /^in fleet but its closure is not: \/nix\/store\/dep \(needed by \/nix\/store\/gen\) is missing: evaluating the host reads it/
    ],
    ['an unknown path (no first missing)', undefined, /^not in fleet: /]
  ])('names the import when the cache lacks %s', (_why, firstMissing, reason) => {
    const walks = new Map<string, ClosureWalk>([
      ['/nix/store/ok', whole],
      ['/nix/store/gen', { complete: false, checked: 1, upstream: 0, firstMissing }]
    ])
    const missing = explainImports(walks, facts)
    expect(missing.map(m => m.path)).toEqual(['/nix/store/gen'])
    expect(missing[0].reason).toMatch(reason)
  })
})
