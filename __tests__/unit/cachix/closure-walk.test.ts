import { describe, expect, it } from '@jest/globals'
import {
  closureFacts,
  downloadSizes,
  SharedCacheLookups,
  walkClosure,
  walkEach,
  type CacheLookups,
  type NarInfoSource,
  type PathFacts,
  describeWalk
} from '../../../src/cachix/closure-walk.js'
import type { NarInfo } from '../../../src/nix/format/narinfo.js'

// Names are 32-character hashes. The cache holds TOP, MID, LEAF and the FAN; UP1 and UP2 are only
// upstream (the bulk query counts them present, GET says 404), and so is UP3, which only they reference.
const hash = (n: number): string =>
  String(n)
    .padStart(32, '0')
    .replace(/[eotu]/g, 'a')

const base = (n: number): string => `${hash(n)}-p${n}`

const full = (n: number): string => `/nix/store/${base(n)}`

const TOP = 1

const MID = 2

const LEAF = 3

const UP1 = 11

const UP2 = 12

const UP3 = 13

const FAN = Array.from({ length: 40 }, (_, i) => 100 + i)

const GRAPH = new Map<number, number[]>([
  [TOP, [MID, UP1, ...FAN]],
  [MID, [LEAF, MID, UP2]],
  [LEAF, []],
  [UP1, [UP3]],
  [UP2, [UP3, UP2]],
  [UP3, []],
  ...FAN.map(n => [n, [LEAF, UP1]] as [number, number[]])
])

const UPSTREAM = new Set([UP1, UP2, UP3])

const narSize = (n: number): number => 1000 + n

const fileSize = (n: number, where: 'cache' | 'substituter'): number => (where === 'cache' ? 100 : 300) + n

function narinfo(n: number, where: 'cache' | 'substituter'): NarInfo {
  return {
    storePath: full(n),
    url: `nar/${hash(n)}.nar.zst`,
    compression: 'zstd',
    fileSize: fileSize(n, where),
    narHash: 'sha256:x',
    narSize: narSize(n),
    references: (GRAPH.get(n) ?? []).map(base),
    sigs: []
  }
}

const node = (h: string): number | undefined => [...GRAPH.keys()].find(k => hash(k) === h)

/** A Cachix cache with upstream filtering: GET finds only what was pushed, the bulk query counts upstream too. */
class FakeCache implements CacheLookups {
  asked: string[] = []
  bulk: string[][] = []
  inFlight = 0
  mostInFlight = 0
  constructor(
    private readonly absent: Set<number> = new Set(),
    private readonly failing?: number,
    private readonly upstream: Set<number> = UPSTREAM
  ) {}

  async narinfo(h: string): Promise<NarInfo | undefined> {
    this.asked.push(h)
    this.inFlight++
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight)
    await new Promise(resolve => setTimeout(resolve, 1))
    this.inFlight--
    const n = node(h)
    if (n === this.failing) throw new Error(`lookup of ${h} failed: 503`)
    if (n === undefined || this.absent.has(n) || this.upstream.has(n)) return undefined
    return narinfo(n, 'cache')
  }

  async missingHashes(hashes: string[]): Promise<Set<string>> {
    this.bulk.push([...hashes])
    // Held or upstream, the bulk query says present alike.
    return new Set(
      hashes.filter(h => {
        const n = node(h)
        return n === undefined || this.absent.has(n)
      })
    )
  }
}

/** cache.nixos.org and the like: they have the upstream paths (and, when asked to, nothing else). */
class FakeSubstituters implements NarInfoSource {
  asked: string[] = []
  constructor(private readonly has: Set<number> = UPSTREAM) {}
  async narinfo(h: string): Promise<NarInfo | undefined> {
    this.asked.push(h)
    const n = node(h)
    return n !== undefined && this.has.has(n) ? narinfo(n, 'substituter') : undefined
  }
}

describe('closure walk: is the whole closure present?', () => {
  it('paths only upstream count as present: one bulk query for all the 404s, and nothing below them is asked', async () => {
    const cache = new FakeCache()
    const walk = await walkClosure(cache, [full(TOP)], { concurrency: 8 })
    expect(walk).toEqual({ complete: true, checked: GRAPH.size - 1, upstream: 2, firstMissing: undefined })
    expect(cache.bulk).toEqual([expect.arrayContaining([hash(UP1), hash(UP2)])])
    expect(cache.bulk[0]).toHaveLength(2)
    // The cache is asked once per path (self-references included), and never about UP3.
    expect(new Set(cache.asked).size).toBe(cache.asked.length)
    expect(cache.asked).not.toContain(hash(UP3))
    expect(cache.mostInFlight).toBe(8)
  })

  it('a cache without upstream filtering (everything held) needs no bulk query', async () => {
    const cache = new FakeCache(new Set(), undefined, new Set())
    const walk = await walkClosure(cache, [full(TOP)])
    expect(walk).toEqual({ complete: true, checked: GRAPH.size, upstream: 0, firstMissing: undefined })
    expect(cache.bulk).toEqual([])
  })

  it.each([
    ['the root', TOP, TOP],
    ['a reference of the root', MID, TOP],
    ['a path deep in the closure', LEAF, MID],
    ['a path only its upstream would have, which lost it', UP1, TOP]
  ])('missing %s: incomplete, and named with the path that needs it', async (_, absent, neededBy) => {
    const cache = new FakeCache(new Set([absent]))
    const walk = await walkClosure(cache, [full(TOP)], { concurrency: 1 })
    expect(walk.complete).toBe(false)
    expect(walk.firstMissing).toEqual({ path: full(absent), neededBy: full(neededBy) })
    expect(cache.bulk).toHaveLength(1)
  })

  it('a missing root costs one lookup and one bulk query', async () => {
    const cache = new FakeCache(new Set([TOP]))
    expect(await walkClosure(cache, [full(TOP)])).toMatchObject({ complete: false, checked: 1 })
    expect(cache.bulk).toEqual([[hash(TOP)]])
  })

  it('a failed lookup rejects the walk with its error', async () => {
    await expect(walkClosure(new FakeCache(new Set(), MID), [full(TOP)])).rejects.toThrow('503')
  })

  it('walkEach shares what a complete walk verified, upstream paths included: the second root is not looked up again', async () => {
    const cache = new FakeCache()
    const walks = await walkEach(cache, [full(TOP), full(MID)])
    expect(walks.get(full(MID))).toEqual({ complete: true, checked: 0, upstream: 0, firstMissing: undefined })
    expect(cache.asked.length).toBe(GRAPH.size - 1)
    expect(cache.bulk).toHaveLength(1)
  })

  it('an aborted walk rejects', async () => {
    const stop = new AbortController()
    stop.abort(new Error('cancelled'))
    await expect(walkClosure(new FakeCache(), [full(TOP)], { signal: stop.signal })).rejects.toThrow()
  })
})

describe('closure facts: References, NarSize and FileSize of every path, for the diff', () => {
  it('upstream paths are described by the substituters; what they reference is asked there first, not in the cache', async () => {
    const cache = new FakeCache()
    const substituters = new FakeSubstituters()
    const walk = await closureFacts(cache, full(TOP), { substituters })
    expect(walk.missing).toEqual([])
    expect(walk.unknownUpstream).toEqual([])
    expect([...walk.facts.keys()].sort()).toEqual([...GRAPH.keys()].map(full).sort())
    expect(walk.facts.get(full(UP1))).toEqual({
      narSize: narSize(UP1),
      references: [full(UP3)],
      fileSize: fileSize(UP1, 'substituter')
    })
    expect(walk.facts.get(full(MID))?.fileSize).toBe(fileSize(MID, 'cache'))
    expect(cache.asked).not.toContain(hash(UP3))
    expect(cache.bulk).toHaveLength(1)
    expect(substituters.asked.sort()).toEqual([hash(UP1), hash(UP2), hash(UP3)].sort())
  })

  it('an upstream path no substituter has is unknown, not missing and not guessed', async () => {
    const walk = await closureFacts(new FakeCache(), full(TOP), {
      substituters: new FakeSubstituters(new Set([UP2, UP3]))
    })
    expect(walk.missing).toEqual([])
    expect(walk.unknownUpstream).toEqual([full(UP1)])
    expect(walk.facts.has(full(UP1))).toBe(false)
    // UP3 is still described: UP2 references it.
    expect(walk.facts.has(full(UP3))).toBe(true)
    // Below UP2 the substituters lack UP3, the cache has not got it either, and its bulk query counts it upstream.
    const lone = await closureFacts(new FakeCache(), full(TOP), { substituters: new FakeSubstituters(new Set([UP2])) })
    expect(lone.unknownUpstream).toEqual([full(UP1), full(UP3)])
  })

  it('without substituters, every upstream path is unknown', async () => {
    const walk = await closureFacts(new FakeCache(), full(TOP))
    expect(walk.unknownUpstream).toEqual([full(UP1), full(UP2)])
  })

  it('every missing path is listed, the root first', async () => {
    const walk = await closureFacts(new FakeCache(new Set([LEAF, FAN[3], TOP])), full(TOP), {
      substituters: new FakeSubstituters()
    })
    expect(walk.missing).toEqual([full(TOP)])
    const deeper = await closureFacts(new FakeCache(new Set([LEAF, FAN[3]])), full(TOP), {
      substituters: new FakeSubstituters()
    })
    expect(deeper.missing).toEqual([full(LEAF), full(FAN[3])].sort())
  })

  it('a path below an upstream path that the substituters lack is found in the cache', async () => {
    // UP3 pushed to the cache (it is not upstream there), and the substituters have only UP1 and UP2.
    const cache = new FakeCache(new Set(), undefined, new Set([UP1, UP2]))
    const walk = await closureFacts(cache, full(TOP), { substituters: new FakeSubstituters(new Set([UP1, UP2])) })
    expect(walk.unknownUpstream).toEqual([])
    expect(walk.facts.get(full(UP3))?.fileSize).toBe(fileSize(UP3, 'cache'))
  })

  it('paths known from the other side are not looked up', async () => {
    const known = new Map<string, PathFacts>([
      [full(MID), { narSize: 1, references: [full(LEAF), full(UP2)] }],
      [full(LEAF), { narSize: 1, references: [] }],
      [full(UP2), { narSize: 1, references: [full(UP3)] }],
      [full(UP3), { narSize: 1, references: [] }]
    ])
    const cache = new FakeCache()
    const substituters = new FakeSubstituters()
    const walk = await closureFacts(cache, full(TOP), { substituters, known })
    expect(walk.facts.get(full(MID))).toBe(known.get(full(MID)))
    for (const n of [MID, LEAF, UP2, UP3]) {
      expect(cache.asked).not.toContain(hash(n))
      expect(substituters.asked).not.toContain(hash(n))
    }
    expect(cache.bulk).toEqual([[hash(UP1)]])
  })
})

describe('download sizes', () => {
  it('from what is known, else the cache, else the first substituter that has it', async () => {
    const cache = new FakeCache(new Set([LEAF]))
    const known = new Map<string, PathFacts>([[full(MID), { narSize: 1, references: [], fileSize: 7 }]])
    const sizes = await downloadSizes(cache, new FakeSubstituters(), [MID, FAN[0], UP1, LEAF].map(full), known)
    expect(sizes).toEqual(
      new Map([
        [full(MID), 7],
        [full(FAN[0]), fileSize(FAN[0], 'cache')],
        [full(UP1), fileSize(UP1, 'substituter')],
        [full(LEAF), undefined]
      ])
    )
    expect(cache.asked).not.toContain(hash(MID))
  })
})

describe('shared lookups across the hosts of a run', () => {
  it('asks GET and the bulk query about each hash once', async () => {
    const cache = new FakeCache()
    const shared = new SharedCacheLookups(cache)
    await closureFacts(shared, full(TOP), { substituters: new FakeSubstituters() })
    await closureFacts(shared, full(MID), { substituters: new FakeSubstituters() })
    expect(new Set(cache.asked).size).toBe(cache.asked.length)
    expect(cache.bulk).toHaveLength(1)
    expect(await shared.missingHashes([hash(UP1), hash(999)])).toEqual(new Set([hash(999)]))
    expect(cache.bulk).toEqual([expect.any(Array), [hash(999)]])
  })
})

describe('closure walk messages', () => {
  const top = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-top'
  const lib = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib'
  it.each([
    [{ complete: true, checked: 3, upstream: 0 }, `${top} and its whole closure are in the cache`],
    [
      { complete: true, checked: 3, upstream: 1 },
      `${top} and its whole closure are in the cache (1 path of it counted present upstream)`
    ],
    [
      { complete: true, checked: 3, upstream: 12 },
      `${top} and its whole closure are in the cache (12 paths of it counted present upstream)`
    ],
    [
      { complete: false, checked: 1, upstream: 0, firstMissing: { path: top, neededBy: top } },
      `${top} is not in the cache`
    ],
    [
      { complete: false, checked: 2, upstream: 3, firstMissing: { path: lib, neededBy: top } },
      `${top} is in the cache but its closure is not: ${lib} (needed by ${top}) is missing`
    ]
  ])('%j reads "%s"', (walk, text) => {
    expect(describeWalk(top, walk)).toBe(text)
  })
})
