import { describe, expect, it } from '@jest/globals'
import { parsePathInfoJson, dependenciesFirst, type PathInfo } from '../../../../src/nix/format/path-info.js'

const A = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a'

const B = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b'

const C = '/nix/store/cccccccccccccccccccccccccccccccc-c'

const D = '/nix/store/dddddddddddddddddddddddddddddddd-d'

describe('path-info JSON across Nix versions', () => {
  const entry = {
    narHash: 'sha256-aKOtagcT/ov4aCYbG1C9gizL4063xGsGpBJGGXMHpd0=',
    narSize: 168,
    references: ['/nix/store/nmip89c6ln7r0znmly2irxkdrzy55an1-vec-dep'],
    deriver: '/nix/store/f3vfxxqvi320iyq7hbzmalg1kn74ixnp-vec-top.drv'
  }
  const path = '/nix/store/wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5-vec-top'
  const missing = '/nix/store/00000000000000000000000000000000-x'
  const expected = [
    {
      path,
      narHash: 'sha256:1pd50xrijihjlh36pi5p9viwnb42pm81n6r6d3w8pzhk0xmav8v8',
      narSize: 168,
      references: entry.references,
      deriver: entry.deriver
    }
  ]

  it.each([
    [
      '2.8 (array with path, valid:false for missing)',
      [
        { path, ...entry, registrationTime: 1, ultimate: true },
        { path: missing, valid: false }
      ]
    ],
    [
      '2.19–2.32 (object keyed by path, null for missing)',
      { [path]: { ...entry, ca: null, signatures: [], ultimate: true }, [missing]: null }
    ],
    [
      '2.33+ v1 (object with version and storeDir inside)',
      { [path]: { ...entry, version: 1, storeDir: '/nix/store', ca: null }, [missing]: null }
    ],
    [
      '2.33+ v2 (basenames under info)',
      {
        version: 2,
        storeDir: '/nix/store',
        info: {
          'wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5-vec-top': {
            ...entry,
            references: ['nmip89c6ln7r0znmly2irxkdrzy55an1-vec-dep'],
            deriver: 'f3vfxxqvi320iyq7hbzmalg1kn74ixnp-vec-top.drv'
          }
        }
      }
    ]
  ])('reads the %s shape', (_version, json) => {
    expect(parsePathInfoJson(json)).toEqual(expected)
  })

  it('treats a missing deriver as unknown', () => {
    const [info] = parsePathInfoJson({ [path]: { ...entry, deriver: null } })
    expect(info.deriver).toBeUndefined()
  })
})

describe('dependencies first', () => {
  const info = (path: string, references: string[]): PathInfo => ({ path, narHash: 'sha256:x', narSize: 1, references })
  it.each([
    ['a chain', [info(A, [B]), info(B, [C]), info(C, [])], [C, B, A]],
    ['a diamond with self-references', [info(D, [D, B, C]), info(B, [A, B]), info(C, [A]), info(A, [])], [A, B, C, D]],
    ['references outside the set are skipped', [info(A, [D]), info(B, [A])], [A, B]]
  ])('%s', (_what, infos, order) => {
    const sorted = dependenciesFirst(infos).map(i => i.path)
    expect(sorted).toEqual(order)
    for (const item of infos)
      for (const reference of item.references)
        if (sorted.includes(reference)) expect(sorted.indexOf(reference)).toBeLessThanOrEqual(sorted.indexOf(item.path))
  })

  it('a chain of 20,000 paths does not exhaust the stack', () => {
    const paths = Array.from({ length: 20_000 }, (_, i) => `/nix/store/${String(i).padStart(32, '0')}-p`)
    const infos = paths.map((path, i) => info(path, i > 0 ? [paths[i - 1]] : []))
    expect(dependenciesFirst([...infos].reverse()).map(i => i.path)).toEqual(paths)
  })
})
