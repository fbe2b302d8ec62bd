import { describe, expect, it, jest } from '@jest/globals'
import type { NarInfo } from '../../../../src/nix/format/narinfo.js'
import { coreStandIn } from '../../../support/core.js'

const core = coreStandIn([])
jest.unstable_mockModule('@actions/core', () => core)
const { walkCached } = await import('../../../../src/action/phases/cache-check.js')

// A cache as narinfos by hash part: a toplevel with one reference, and the imports of a host's evaluation.
const path = (n: number, name: string): string => `/nix/store/${String(n).padStart(32, '0')}-${name}`
const TOP = path(1, 'nixos-system-ifd')
const LIB = path(2, 'lib')
const GENERATED = path(3, 'generated-ifd')
const OPTIONS = path(4, 'options-json')
const REFERENCES = new Map([
  [TOP, [LIB]],
  [LIB, []],
  [GENERATED, [LIB]],
  [OPTIONS, []]
])

function readerHolding(held: string[]): Parameters<typeof walkCached>[0] {
  const byHash = new Map(held.map(p => [p.slice(11, 43), p]))
  const client = {
    narinfo: (hash: string): Promise<NarInfo | undefined> => {
      const p = byHash.get(hash)
      if (p === undefined) return Promise.resolve(undefined)
      const references = (REFERENCES.get(p) ?? []).map(r => r.slice(11))
      return Promise.resolve({
        storePath: p,
        url: 'nar/x.nar',
        compression: 'none',
        fileSize: 1,
        narHash: 'sha256:x',
        narSize: 1,
        references,
        sigs: []
      })
    },
    missingHashes: (hashes: string[]): Promise<Set<string>> =>
      Promise.resolve(new Set(hashes.filter(h => !byHash.has(h))))
  }
  return { cache: { uri: 'https://fleet.cachix.org' }, client } as unknown as Parameters<typeof walkCached>[0]
}

describe('the cache check counts what evaluation imports as part of the host', () => {
  it.each([
    ['no imports, closure held', [TOP, LIB], [], true],
    ['imports held with their closures', [TOP, LIB, GENERATED, OPTIONS], [GENERATED, OPTIONS], true],
    // The host's closure is whole, but a laptop would build the import just to evaluate it.
    ['an import the cache lacks', [TOP, LIB, GENERATED], [GENERATED, OPTIONS], false],
    ['an import whose closure has a hole', [TOP, GENERATED], [GENERATED], false],
    ['the toplevel missing, imports held', [LIB, GENERATED], [GENERATED], false]
  ])('%s', async (_case, held, imports, whole) => {
    core.info.mockClear()
    const cached = await walkCached(readerHolding(held), [{ name: 'ifd', outPath: TOP, imports }], '; not building it')
    expect(cached.has(TOP)).toBe(whole)
    const lines = core.info.mock.calls.map(([line]) => String(line))
    expect(lines.some(l => l.endsWith('; not building it'))).toBe(whole)
    for (const missing of imports.filter(i => !held.includes(i)))
      expect(lines).toContain(`ifd: its evaluation imports ${missing} is not in the cache`)
  })
})
