import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CachixClient } from '../../../src/cachix/client.js'
import { SharedCacheLookups } from '../../../src/cachix/closure-walk.js'
import { SubstituterNarInfos } from '../../../src/cachix/substituter-narinfos.js'
import type { LocalStore } from '../../../src/diff/local-closure.js'
import { diffHost } from '../../../src/diff/host-diff.js'
import { renderNarInfo } from '../../../src/nix/format/narinfo.js'
import { hashPart } from '../../../src/nix/format/store-path.js'
import { startTestServer } from '../../support/server.js'
import { storePath } from '../../support/store-paths.js'

const CACHE = 'walk'

/** A store that has nothing: both sides come from the cache. */
const EMPTY_STORE: LocalStore = {
  isValid: async () => false,
  closure: async () => [],
  pathInfos: async () => new Map()
}

// base: top → hello-2.12 → zlib, top → tool(base) ; head: top' → hello-2.13 → zlib, top' → tool(head), top' → new-0.5
const zlib = storePath('zlib-1.3')

const hello12 = storePath('hello-2.12')

const hello13 = storePath('hello-2.13')

const toolBase = storePath('tool-1.0', 'base')

const toolHead = storePath('tool-1.0', 'head')

const added = storePath('new-0.5')

const baseTop = storePath('nixos-system-alpha-1', 'base')

const headTop = storePath('nixos-system-alpha-1', 'head')

const GRAPH: Record<string, string[]> = {
  [zlib]: [],
  [hello12]: [zlib],
  [hello13]: [zlib],
  [toolBase]: [],
  [toolHead]: [],
  [added]: [],
  [baseTop]: [hello12, toolBase],
  [headTop]: [hello13, toolHead, added]
}

const narSize = (path: string): number => 1000 + path.length * 7

const fileSize = (path: string): number => 100 + path.length

function narinfoText(path: string, references: string[], size = fileSize(path)): string {
  const hash = hashPart(path)
  return renderNarInfo({
    storePath: path,
    url: `nar/${hash}.nar.zst`,
    compression: 'zstd',
    fileSize: size,
    narHash: `sha256:${'0'.repeat(52)}`,
    narSize: narSize(path),
    references: references.map(r => r.slice('/nix/store/'.length)),
    sigs: []
  })
}

// A nixpkgs bump, as Cachix holds it: the fleet's own paths in the cache, glibc and zlib only in its
// upstream (a binary cache of its own, as cache.nixos.org is to cachix.org): the bulk query counts
// them present, GET narinfo says 404, and their narinfos come from the upstream.
const zlibUp = storePath('zlib-1.3.1', 'nixpkgs')

const glibcOld = storePath('glibc-2.39', 'nixpkgs')

const glibcNew = storePath('glibc-2.40', 'nixpkgs')

const etcOld = storePath('etc', 'base')

const etcNew = storePath('etc', 'head')

const oldTop = storePath('nixos-system-alpha-2', 'base')

const newTop = storePath('nixos-system-alpha-2', 'head')

const NIXPKGS: Record<string, string[]> = { [zlibUp]: [], [glibcOld]: [zlibUp], [glibcNew]: [zlibUp] }

const FLEET: Record<string, string[]> = {
  [etcOld]: [glibcOld],
  [etcNew]: [glibcNew],
  [oldTop]: [etcOld, glibcOld],
  [newTop]: [etcNew, glibcNew]
}

/** Upstream FileSizes differ from what the fleet cache would say, so the test sees where each came from. */
const upstreamFileSize = (path: string): number => 5000 + path.length

describe('closure diff from narinfos served by the local Cachix server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>
  let client: CachixClient
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE }])
    client = new CachixClient({ baseUrl: server.url, cacheName: CACHE })
    for (const [path, references] of Object.entries(GRAPH))
      await writeFile(join(server.dataDir, CACHE, `${hashPart(path)}.narinfo`), narinfoText(path, references))
  })
  afterAll(async () => server.close())

  it('asks the cache once per path, and the base walk only for paths the head does not have', async () => {
    const before = server.stats.requests
    const cache = new SharedCacheLookups(client)
    const result = await diffHost('alpha', baseTop, headTop, { cache, store: EMPTY_STORE })
    expect(result.outcome).toBe('compared')
    if (result.outcome !== 'compared') return
    // head: 5 paths; base: its toplevel, hello-2.12 and its tool (zlib is shared).
    expect(cache.lookups).toBe(8)
    expect(server.stats.requests - before).toBe(8)
    expect(result.diff.changed).toEqual([{ name: 'hello', before: ['2.12'], after: ['2.13'], sizeDelta: 0 }])
    expect(result.diff.added.map(p => p.name)).toEqual(['new'])
    expect(result.diff.rebuilt.map(p => p.name)).toEqual(['tool'])
    const sum = (paths: string[], f: (p: string) => number) => paths.reduce((s, p) => s + f(p), 0)
    expect(result.diff.before).toEqual({ paths: 4, narSize: sum([baseTop, hello12, toolBase, zlib], narSize) })
    expect(result.diff.after).toEqual({ paths: 5, narSize: sum([headTop, hello13, toolHead, added, zlib], narSize) })
    expect(result.diff.download).toEqual({
      paths: 4,
      fileSize: sum([headTop, hello13, toolHead, added], fileSize),
      sizeUnknown: []
    })
  })

  it('a base toplevel the cache lacks is named as such', async () => {
    const absent = storePath('nixos-system-alpha-1', 'never-pushed')
    expect(await diffHost('alpha', absent, headTop, { cache: client, store: EMPTY_STORE })).toEqual({
      host: 'alpha',
      outcome: 'base-not-in-cache',
      base: absent,
      head: headTop
    })
  })

  it('a host new at the head, and a head nobody has, are said so', async () => {
    expect(await diffHost('gamma', undefined, headTop, { cache: client, store: EMPTY_STORE })).toEqual({
      host: 'gamma',
      outcome: 'new-host',
      head: headTop
    })
    const nowhere = storePath('nixos-system-alpha-1', 'nowhere')
    expect((await diffHost('alpha', baseTop, nowhere, { cache: client, store: EMPTY_STORE })).outcome).toBe(
      'head-unavailable'
    )
  })

  it('a base closure with a hole (a path garbage-collected) is incomplete, not guessed', async () => {
    await rm(join(server.dataDir, CACHE, `${hashPart(toolBase)}.narinfo`))
    expect(await diffHost('alpha', baseTop, headTop, { cache: client, store: EMPTY_STORE })).toEqual({
      host: 'alpha',
      outcome: 'base-incomplete',
      base: baseTop,
      head: headTop,
      missing: [toolBase]
    })
  })

  it("a cache that keeps failing is this host's outcome, not a crash", async () => {
    const broken = new CachixClient({
      baseUrl: 'http://127.0.0.1:1',
      cacheName: CACHE,
      retryPolicy: { baseDelayMs: 1, maxDelayMs: 2, budgetMs: 5, maxRetryAfterMs: 1 }
    })
    const result = await diffHost('alpha', baseTop, headTop, { cache: broken, store: EMPTY_STORE })
    expect(result).toMatchObject({
      host: 'alpha',
      outcome: 'failed',
      message: expect.stringMatching(/narinfo lookup .* kept failing/)
    })
  })
})

describe('closure diff of a nixpkgs bump, the old and new glibc only upstream of the cache', () => {
  let upstream: Awaited<ReturnType<typeof startTestServer>>
  let server: Awaited<ReturnType<typeof startTestServer>>
  let client: CachixClient
  beforeAll(async () => {
    upstream = await startTestServer([{ name: 'nixpkgs' }])
    server = await startTestServer([{ name: CACHE, upstreamUrl: upstream.cacheUrl('nixpkgs') }])
    client = new CachixClient({ baseUrl: server.url, cacheName: CACHE })
    for (const [path, references] of Object.entries(NIXPKGS))
      await writeFile(
        join(upstream.dataDir, 'nixpkgs', `${hashPart(path)}.narinfo`),
        narinfoText(path, references, upstreamFileSize(path))
      )
    for (const [path, references] of Object.entries(FLEET))
      await writeFile(join(server.dataDir, CACHE, `${hashPart(path)}.narinfo`), narinfoText(path, references))
  })
  afterAll(async () => {
    await server.close()
    await upstream.close()
  })

  it('is compared: glibc named as changed, sizes and download from the upstream narinfos', async () => {
    const cache = new SharedCacheLookups(client)
    const substituters = new SubstituterNarInfos([{ url: upstream.cacheUrl('nixpkgs') }])
    const result = await diffHost('alpha', oldTop, newTop, { cache, substituters, store: EMPTY_STORE })
    expect(result.outcome).toBe('compared')
    if (result.outcome !== 'compared') return
    expect(result.diff.changed).toEqual([
      { name: 'glibc', before: ['2.39'], after: ['2.40'], sizeDelta: narSize(glibcNew) - narSize(glibcOld) }
    ])
    expect(result.diff.rebuilt.map(p => p.name)).toEqual(['etc'])
    const sum = (paths: string[]) => paths.reduce((s, p) => s + narSize(p), 0)
    expect(result.diff.before).toEqual({ paths: 4, narSize: sum([oldTop, etcOld, glibcOld, zlibUp]) })
    expect(result.diff.after).toEqual({ paths: 4, narSize: sum([newTop, etcNew, glibcNew, zlibUp]) })
    expect(result.diff.download).toEqual({
      paths: 3,
      fileSize: fileSize(newTop) + fileSize(etcNew) + upstreamFileSize(glibcNew),
      sizeUnknown: []
    })
    // The bulk query is asked about each upstream boundary once; zlib, below glibc, only upstream.
    expect(cache.bulkQueries).toBe(2)
    expect(substituters.lookups).toBe(3)
  })

  it('without a substituter that has them, the diff fails and says which path and what to do', async () => {
    const result = await diffHost('alpha', oldTop, newTop, {
      cache: client,
      substituters: new SubstituterNarInfos([]),
      store: EMPTY_STORE
    })
    expect(result).toMatchObject({
      outcome: 'failed',
      message: expect.stringMatching(
        new RegExp(
          `the cache counts ${glibcNew} as present upstream, but no substituter asked has its narinfo \\(no substituter\\)`
        )
      )
    })
  })
})
