// Closure diff speed: base and head closures of 5,000 paths that differ in 200, as narinfos in
// the local server. Run alone with `npx tsx bench/diff.ts`, or as a section of bench/main.ts.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CachixClient } from '../src/cachix/client.js'
import { SharedCacheLookups } from '../src/cachix/closure-walk.js'
import type { LocalStore } from '../src/diff/local-closure.js'
import { diffHost } from '../src/diff/host-diff.js'
import type { HostDiff } from '../src/diff/types.js'
import { renderNarInfo } from '../src/nix/format/narinfo.js'
import type { PathInfo } from '../src/nix/format/path-info.js'
import { STORE_DIR } from '../src/nix/format/store-path.js'
import { config, WRITE_TOKEN } from './config.js'
import { syntheticHashes } from './missing-fixture.js'
import { Prng } from './prng.js'
import { best, judged, seconds, type Row } from './report.js'
import { startBenchServer } from './server.js'

const PATHS = 5000
const CHANGED = 200
const CACHE = 'diff'
const TARGET_MS = 2000
const EXTRA_REFERENCES = 3

interface Side {
  root: string
  /** path → references (full paths) */
  references: Map<string, string[]>
}

interface DiffFixture {
  base: Side
  head: Side
  /** Paths that differ (the toplevel included). */
  changed: number
  files: Map<string, string>
}

/**
 * A system-shaped closure (path i references only lower paths; everything is reachable from the
 * last, the toplevel) and the same closure after a change: a few packages got a new version,
 * and every path that depends on one of them was rebuilt, as Nix's hashing implies. The changed
 * set grows from random packages near the top until it holds CHANGED paths.
 */
function diffFixture(seed: number): DiffFixture {
  const hashes = syntheticHashes(seed ^ 0x2d1f, PATHS + 2 * CHANGED).all
  const references: Set<number>[] = Array.from({ length: PATHS }, () => new Set<number>())
  const prng = new Prng(seed ^ 0x5eed)
  for (let i = 0; i < PATHS - 1; i++) references[prng.int(i + 1, PATHS - 1)].add(i)
  for (let i = 1; i < PATHS; i++) for (let k = 0; k < EXTRA_REFERENCES; k++) references[i].add(prng.int(0, i - 1))
  const referrers: number[][] = Array.from({ length: PATHS }, () => [])
  references.forEach((refs, i) => refs.forEach(r => referrers[r].push(i)))

  const changed = new Set<number>()
  while (changed.size < CHANGED) {
    const pending = [prng.int(Math.floor(PATHS * 0.9), PATHS - 1)]
    while (pending.length > 0 && changed.size < CHANGED * 2) {
      const node = pending.pop() as number
      if (changed.has(node)) continue
      changed.add(node)
      pending.push(...referrers[node])
    }
  }
  // One hash per changed path for the head; the unchanged ones are the same store paths.
  let spare = PATHS
  const headHash = new Map<number, string>()
  for (const node of [...changed].sort((a, b) => a - b)) headHash.set(node, hashes[spare++])

  const name = (i: number, side: 'base' | 'head'): string => {
    const version = side === 'head' && changed.has(i) ? '1.1' : '1.0'
    const hash = side === 'head' ? (headHash.get(i) ?? hashes[i]) : hashes[i]
    return i === PATHS - 1 ? `${hash}-nixos-system-bench-${version}` : `${hash}-bench-pkg${i}-${version}`
  }
  const files = new Map<string, string>()
  const side = (which: 'base' | 'head'): Side => {
    const refs = new Map<string, string[]>()
    for (let i = 0; i < PATHS; i++) {
      const own = name(i, which)
      const named = [...references[i]].sort((a, b) => a - b).map(r => name(r, which))
      refs.set(
        `${STORE_DIR}/${own}`,
        named.map(n => `${STORE_DIR}/${n}`)
      )
      const hash = own.slice(0, 32)
      if (files.has(`${hash}.narinfo`)) continue
      files.set(
        `${hash}.narinfo`,
        renderNarInfo({
          storePath: `${STORE_DIR}/${own}`,
          url: `nar/${hash}.nar.zst`,
          compression: 'zstd',
          fileSize: 300 + (i % 700),
          narHash: `sha256:${'0'.repeat(52)}`,
          narSize: 1024 + (i % 4096),
          references: named,
          sigs: []
        })
      )
    }
    return { root: `${STORE_DIR}/${name(PATHS - 1, which)}`, references: refs }
  }
  return { base: side('base'), head: side('head'), changed: changed.size, files }
}

/** Nothing is in this machine's store: both closures come from the cache (the CLI on a laptop, a cached host in CI). */
const EMPTY_STORE: LocalStore = {
  isValid: async () => false,
  closure: async () => [],
  pathInfos: async () => new Map()
}

/** The head as a local store would answer for it, from memory (what the action has after building). */
function inMemoryStore(side: Side): LocalStore {
  return {
    isValid: async path => side.references.has(path),
    closure: async () => [...side.references.keys()],
    pathInfos: async paths =>
      new Map(
        paths.map(path => [
          path,
          { path, narHash: '', narSize: 1024, references: side.references.get(path) ?? [] } satisfies PathInfo
        ])
      )
  }
}

function check(result: HostDiff, fixture: DiffFixture): void {
  if (result.outcome !== 'compared') throw new Error(`the diff came out ${result.outcome}, not compared`)
  const { diff } = result
  // Every changed path but the toplevel is a package whose version moved from 1.0 to 1.1.
  if (diff.changed.length !== fixture.changed - 1 || diff.download.paths !== fixture.changed) {
    throw new Error(
      `the diff has ${diff.changed.length} changed packages and ${diff.download.paths} paths to download; the fixture changed ${fixture.changed} paths`
    )
  }
}

/** Diff of a 5,000-path closure with 200 changed paths, against our local server. */
export async function closureDiffBench(log: (line: string) => void): Promise<Row[]> {
  const fixture = diffFixture(config.seed)
  log(
    `${PATHS} paths per closure, ${fixture.changed} changed (the toplevel among them), ${fixture.files.size} narinfos in the cache`
  )
  const server = await startBenchServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }], async dataDir => {
    await mkdir(join(dataDir, CACHE), { recursive: true })
    for (const [file, text] of fixture.files) await writeFile(join(dataDir, CACHE, file), text)
  })
  const fromCache: number[] = []
  const fromStore: number[] = []
  try {
    const client = new CachixClient({ baseUrl: server.url, cacheName: CACHE, authToken: WRITE_TOKEN })
    const once = async (store: LocalStore): Promise<{ ms: number; lookups: number }> => {
      const cache = new SharedCacheLookups(client)
      const started = performance.now()
      const result = await diffHost('bench', fixture.base.root, fixture.head.root, { cache, store })
      const ms = performance.now() - started
      check(result, fixture)
      return { ms, lookups: cache.lookups }
    }
    await once(EMPTY_STORE)
    for (let i = 1; i <= Math.max(3, config.runs); i++) {
      const cold = await once(EMPTY_STORE)
      const local = await once(inMemoryStore(fixture.head))
      fromCache.push(cold.ms)
      fromStore.push(local.ms)
      log(
        `run ${i}: both closures from the cache ${seconds(cold.ms)} (${cold.lookups} narinfo GETs); head from the store ${seconds(local.ms)} (${local.lookups} GETs)`
      )
    }
  } finally {
    await server.stop()
  }
  const cold = best(fromCache, ms => ms)
  const local = best(fromStore, ms => ms)
  return [
    [
      `closure diff, ${PATHS} paths, ${fixture.changed} changed, both sides from the cache`,
      seconds(cold),
      `<= ${seconds(TARGET_MS)}`,
      judged(cold, TARGET_MS, false, true)
    ],
    [
      `closure diff, same, head facts in memory (the action after a build, without nix path-info)`,
      seconds(local),
      '',
      ''
    ]
  ]
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await closureDiffBench(line => console.log(`  ${line}`))
  for (const row of rows) console.log(row.filter(c => c !== '').join('  '))
}
