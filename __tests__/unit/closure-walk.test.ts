import { describe, expect, it } from '@jest/globals'
import type { NarInfo } from '../../src/nix/narinfo.js'
import { walkClosure, walkEach, type NarInfoSource } from '../../src/push/closure-walk.js'

// A chain top → mid → leaf, plus a fan of 40 paths under top: names are 32-character hashes.
const hash = (n: number): string =>
  String(n)
    .padStart(32, '0')
    .replace(/[eotu]/g, 'a')
const base = (n: number): string => `${hash(n)}-p${n}`
const full = (n: number): string => `/nix/store/${base(n)}`
const TOP = 1
const MID = 2
const LEAF = 3
const FAN = Array.from({ length: 40 }, (_, i) => 100 + i)
const GRAPH = new Map<number, number[]>([
  [TOP, [MID, ...FAN]],
  [MID, [LEAF, MID]],
  [LEAF, []],
  ...FAN.map(n => [n, [LEAF]] as [number, number[]])
])

class FakeCache implements NarInfoSource {
  asked: string[] = []
  inFlight = 0
  mostInFlight = 0
  constructor(
    private readonly absent: Set<number> = new Set(),
    private readonly failing?: number
  ) {}

  async narinfo(h: string): Promise<NarInfo | undefined> {
    this.asked.push(h)
    this.inFlight++
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight)
    await new Promise(resolve => setTimeout(resolve, 1))
    this.inFlight--
    const n = [...GRAPH.keys()].find(k => hash(k) === h)
    if (n === undefined || this.absent.has(n)) return undefined
    if (n === this.failing) throw new Error(`lookup of ${h} failed: 503`)
    return {
      storePath: full(n),
      url: `nar/${h}.nar.zst`,
      compression: 'zstd',
      narHash: 'sha256:x',
      narSize: 1,
      references: (GRAPH.get(n) ?? []).map(base),
      sigs: []
    }
  }
}

describe('closure walk through narinfo References', () => {
  it('a complete closure: every path looked up once (self-references included), in parallel up to the limit', async () => {
    const cache = new FakeCache()
    const walk = await walkClosure(cache, [full(TOP)], { concurrency: 8 })
    expect(walk).toEqual({ complete: true, checked: GRAPH.size, firstMissing: undefined })
    expect(new Set(cache.asked).size).toBe(cache.asked.length)
    expect(cache.mostInFlight).toBe(8)
  })

  it.each([
    ['the root', TOP, TOP, 1],
    ['a reference of the root', MID, TOP, 2],
    ['a path deep in the closure (looked up last)', LEAF, MID, GRAPH.size]
  ])(
    'missing %s: named with the path that needs it, and nothing is looked up after it',
    async (_, absent, neededBy, checked) => {
      const cache = new FakeCache(new Set([absent]))
      const walk = await walkClosure(cache, [full(TOP)], { concurrency: 1 })
      expect(walk.complete).toBe(false)
      expect(walk.firstMissing).toEqual({ path: full(absent), neededBy: full(neededBy) })
      expect(walk.checked).toBe(checked)
    }
  )

  it('a failed lookup rejects the walk with its error', async () => {
    await expect(walkClosure(new FakeCache(new Set(), MID), [full(TOP)])).rejects.toThrow('503')
  })

  it('walkEach shares what a complete walk verified: the second root is not looked up again', async () => {
    const cache = new FakeCache()
    const walks = await walkEach(cache, [full(TOP), full(MID)])
    expect(walks.get(full(MID))).toEqual({ complete: true, checked: 0, firstMissing: undefined })
    expect(cache.asked.length).toBe(GRAPH.size)
  })

  it('an aborted walk rejects', async () => {
    const stop = new AbortController()
    stop.abort(new Error('cancelled'))
    await expect(walkClosure(new FakeCache(), [full(TOP)], { signal: stop.signal })).rejects.toThrow()
  })
})
