import { describe, expect, it } from '@jest/globals'
import {
  cacheInfoUrl,
  mergeHostCaches,
  probeSubstituters,
  substituterIdentity,
  narinfoSubstituters,
  substitutersInConfig
} from '../../../src/nix/substituters.js'

describe('host substituters', () => {
  it.each([
    ['https://hyprland.cachix.org', 'https://hyprland.cachix.org'],
    ['https://cosmic.cachix.org/?priority=20', 'https://cosmic.cachix.org'],
    ['http://nas.tailnet.ts.net:8081/fleet?priority=5&want-mass-query=true', 'http://nas.tailnet.ts.net:8081/fleet'],
    ['file:///var/cache/nix', 'file:///var/cache/nix']
  ])('%s is the cache %s', (url, identity) => {
    expect(substituterIdentity(url)).toBe(identity)
  })

  it('merges substituters and extra-substituters of every host, query strings kept, each cache once', () => {
    const merged = mergeHostCaches(
      [
        {
          substituters: ['https://cache.nixos.org', 'https://hyprland.cachix.org?priority=20'],
          trustedPublicKeys: ['cache.nixos.org-1:abc', 'hyprland.cachix.org-1:def']
        },
        {
          substituters: [
            'https://hyprland.cachix.org/',
            'https://walker.cachix.org',
            'https://fleet.cachix.org?priority=41'
          ],
          trustedPublicKeys: ['hyprland.cachix.org-1:def', 'walker.cachix.org-1:ghi']
        }
      ],
      ['https://fleet.cachix.org']
    )
    expect(merged.substituters).toEqual([
      'https://cache.nixos.org',
      'https://hyprland.cachix.org?priority=20',
      'https://walker.cachix.org'
    ])
    expect(merged.trustedPublicKeys).toEqual([
      'cache.nixos.org-1:abc',
      'hyprland.cachix.org-1:def',
      'walker.cachix.org-1:ghi'
    ])
  })

  it.each([
    ['https://cosmic.cachix.org/?priority=20', 'https://cosmic.cachix.org/nix-cache-info'],
    ['http://127.0.0.1:8081/fleet', 'http://127.0.0.1:8081/fleet/nix-cache-info'],
    ['daemon', undefined],
    ['s3://bucket?region=eu-west-1', undefined],
    ['file:///var/cache/nix', undefined]
  ])('probes %s at %s', (url, info) => {
    expect(cacheInfoUrl(url)).toBe(info)
  })

  it('probes all at once and drops those that do not answer, with the reason', async () => {
    const asked: string[] = []
    let inFlight = 0
    let most = 0
    const outcome = await probeSubstituters(
      ['https://a.example?priority=1', 'daemon', 'https://b.example', 'https://c.example'],
      5000,
      async url => {
        asked.push(url)
        most = Math.max(most, ++inFlight)
        await new Promise(r => setTimeout(r, 20))
        inFlight--
        return url.includes('b.example') ? 'no answer within 5 s' : undefined
      }
    )
    expect(asked).toEqual([
      'https://a.example/nix-cache-info',
      'https://b.example/nix-cache-info',
      'https://c.example/nix-cache-info'
    ])
    expect(most).toBe(3)
    expect(outcome.reachable).toEqual(['https://a.example?priority=1', 'daemon', 'https://c.example'])
    expect([...outcome.dropped]).toEqual([['https://b.example', 'no answer within 5 s']])
  })
})

describe('which substituters describe upstream paths', () => {
  it.each([
    [
      'substituters = https://cache.nixos.org/ http://nas:8081/fleet?priority=5\n',
      ['https://cache.nixos.org/', 'http://nas:8081/fleet?priority=5']
    ],
    ['max-jobs = 4\nsubstituters = \ntrusted-substituters = https://x\n', []],
    ['trusted-substituters = https://x\n', []]
  ])('%j → %j', (config, substituters) => {
    expect(substitutersInConfig(config)).toEqual(substituters)
  })

  it('HTTP caches only, each once, without the query string, and never the cache itself', () => {
    expect(
      narinfoSubstituters(
        [
          'https://cache.nixos.org/',
          'https://fleet.cachix.org',
          'http://nas:8081/fleet?priority=5',
          'https://cache.nixos.org?priority=40',
          'file:///var/cache/nix',
          'daemon',
          's3://bucket?region=eu-west-1'
        ],
        ['https://fleet.cachix.org/']
      )
    ).toEqual(['https://cache.nixos.org', 'http://nas:8081/fleet'])
  })
})
