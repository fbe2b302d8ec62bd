import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CachixClient } from '../src/cachix/client.js'
import { renderNarInfo } from '../src/nix/format/narinfo.js'
import { STORE_DIR } from '../src/nix/format/store-path.js'
import { closureFacts, walkClosure } from '../src/cachix/closure-walk.js'
import { SubstituterNarInfos } from '../src/cachix/substituter-narinfos.js'
import { runCommand } from '../src/util/process.js'
import { config, NIX_COMMAND, NIX_OFFLINE, WRITE_TOKEN } from './config.js'
import { syntheticHashes } from './missing-fixture.js'
import { Prng } from './prng.js'
import { best, judged, ratio, seconds, type Row } from './report.js'
import { nixInstalls } from './runtimes.js'
import { startBenchServer } from './server.js'
import { errorMessage } from '../src/util/errors.js'

const PATHS = 5000
const CACHE = 'walk'
const TARGET_MS = 2000
const EXTRA_REFERENCES = 3

/**
 * A closure shaped like a system's: path i references paths below it only, each path has at
 * least one referrer above it (so everything is reachable from the last, the root), plus a
 * few random references each. Returned as narinfo texts for the cache's directory.
 */
function closureNarInfos(seed: number, count: number): { root: string; files: Map<string, string>; hashes: string[] } {
  const hashes = syntheticHashes(seed ^ 0x3a1c, count).all
  const names = hashes.map((h, i) => `${h}-bench-walk-${i}`)
  const references: Set<number>[] = names.map(() => new Set<number>())
  const prng = new Prng(seed ^ 0x7a1c)
  for (let i = 0; i < count - 1; i++) references[prng.int(i + 1, count - 1)].add(i)
  for (let i = 1; i < count; i++) for (let k = 0; k < EXTRA_REFERENCES; k++) references[i].add(prng.int(0, i - 1))
  const files = new Map<string, string>()
  for (let i = 0; i < count; i++) {
    const text = renderNarInfo({
      storePath: `${STORE_DIR}/${names[i]}`,
      url: `nar/${hashes[i]}.nar.zst`,
      compression: 'zstd',
      narHash: `sha256:${'0'.repeat(52)}`,
      narSize: 1024,
      references: [...references[i]].sort((a, b) => a - b).map(r => names[r]),
      sigs: []
    })
    files.set(`${hashes[i]}.narinfo`, text)
  }
  return { root: `${STORE_DIR}/${names[count - 1]}`, files, hashes }
}

/** skip-cached's closure walk (src/cachix/closure-walk.ts) over 5,000 paths in our local server. */
export async function closureWalk(log: (line: string) => void): Promise<Row[]> {
  const { root, files } = closureNarInfos(config.seed, PATHS)
  const server = await startBenchServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }], async dataDir => {
    await mkdir(join(dataDir, CACHE), { recursive: true })
    for (const [name, text] of files) await writeFile(join(dataDir, CACHE, name), text)
  })
  const ours: number[] = []
  const peer: number[] = []
  const { host } = await nixInstalls()
  try {
    const client = new CachixClient({ baseUrl: server.url, cacheName: CACHE, authToken: WRITE_TOKEN })
    // One untimed walk first, so the timed ones do not pay for a cold server.
    await walkClosure(client, [root])
    for (let i = 1; i <= Math.max(3, config.runs); i++) {
      const started = performance.now()
      const walk = await walkClosure(client, [root])
      const ms = performance.now() - started
      if (!walk.complete || walk.checked !== PATHS)
        throw new Error(
          `the walk checked ${walk.checked} of ${PATHS} narinfos, complete ${walk.complete}: it should find all of them`
        )
      ours.push(ms)
      log(`run ${i}: walkClosure ${seconds(ms)} (${walk.checked} narinfos, node ${process.version})`)
    }
    // The peer: Nix's own closure query over the same binary cache, nothing cached on disk.
    try {
      const args = [
        ...NIX_COMMAND,
        'path-info',
        '--recursive',
        '--store',
        server.cacheUrl(CACHE),
        ...NIX_OFFLINE,
        '--option',
        'narinfo-cache-positive-ttl',
        '0',
        root
      ]
      for (let i = 1; i <= 1; i++) {
        const started = performance.now()
        const { stdout } = await runCommand('nix', args, { env: host.env })
        const ms = performance.now() - started
        const lines = stdout.split('\n').filter(l => l !== '').length
        if (lines !== PATHS) throw new Error(`it listed ${lines} paths, not ${PATHS}`)
        peer.push(ms)
        log(`run ${i}: ${host.label} path-info --recursive --store <cache> ${seconds(ms)}`)
      }
    } catch (error: unknown) {
      log(`${host.label} path-info --recursive as a peer failed: ${errorMessage(error)}`)
    }
  } finally {
    await server.stop()
  }
  const o = best(ours, ms => ms)
  const upstream = await upstreamClosureWalk(log)
  const rows: Row[] = [
    [
      `closure walk, ${PATHS} paths (walkClosure, default concurrency)`,
      seconds(o),
      `<= ${seconds(TARGET_MS)}`,
      judged(o, TARGET_MS, false, true)
    ]
  ]
  if (peer.length > 0) {
    const p = best(peer, ms => ms)
    rows.push([
      `closure walk peer: ${host.label} path-info -r --store`,
      `${seconds(p)} (ours ${ratio(p / o)} faster)`,
      '',
      ''
    ])
  }
  rows.push(...upstream)
  return rows
}

/** Of the 5,000 paths, the lowest (dependencies only) are upstream: what a NixOS closure is on cachix.org. */
const UPSTREAM_SHARE = 0.9

/**
 * The same closure as a Cachix cache with upstream filtering holds it: the lowest 90% only
 * upstream (the bulk query counts them, GET says 404; the server's answer is its fixed set, as
 * cachix.org caches its upstream answers), their narinfos in a second cache read as a substituter.
 * skip-cached's walk stops at the upstream paths; the diff's walk reads them all from the substituter.
 */
async function upstreamClosureWalk(log: (line: string) => void): Promise<Row[]> {
  const { root, files, hashes } = closureNarInfos(config.seed, PATHS)
  const upstreamCount = Math.floor(PATHS * UPSTREAM_SHARE)
  const upstream = new Set(hashes.slice(0, upstreamCount))
  const server = await startBenchServer(
    [
      { name: CACHE, writeTokens: [WRITE_TOKEN], upstreamHashes: [...upstream] },
      { name: 'nixpkgs', writeTokens: [WRITE_TOKEN] }
    ],
    async dataDir => {
      for (const cache of [CACHE, 'nixpkgs']) await mkdir(join(dataDir, cache), { recursive: true })
      for (const [name, text] of files)
        await writeFile(join(dataDir, upstream.has(name.slice(0, 32)) ? 'nixpkgs' : CACHE, name), text)
    }
  )
  const presence: number[] = []
  const facts: number[] = []
  try {
    const client = new CachixClient({ baseUrl: server.url, cacheName: CACHE, authToken: WRITE_TOKEN })
    const substituters = (): SubstituterNarInfos => new SubstituterNarInfos([{ url: server.cacheUrl('nixpkgs') }])
    await closureFacts(client, root, { substituters: substituters() })
    for (let i = 1; i <= Math.max(3, config.runs); i++) {
      let started = performance.now()
      const walk = await walkClosure(client, [root])
      presence.push(performance.now() - started)
      if (!walk.complete) throw new Error('the walk of the upstream closure is incomplete: it should count every path')
      started = performance.now()
      const read = await closureFacts(client, root, { substituters: substituters() })
      facts.push(performance.now() - started)
      if (read.facts.size !== PATHS || read.missing.length + read.unknownUpstream.length > 0)
        throw new Error(`the facts walk described ${read.facts.size} of ${PATHS} paths`)
      log(
        `run ${i}: walkClosure ${seconds(presence.at(-1) ?? 0)} (${walk.checked} narinfos, ${walk.upstream} counted upstream); closureFacts ${seconds(facts.at(-1) ?? 0)}`
      )
    }
  } finally {
    await server.stop()
  }
  const p = best(presence, ms => ms)
  const f = best(facts, ms => ms)
  const share = `${Math.round(UPSTREAM_SHARE * 100)}% upstream`
  return [
    [
      `closure walk, ${PATHS} paths, ${share} (skip-cached stops at them)`,
      seconds(p),
      `<= ${seconds(TARGET_MS)}`,
      judged(p, TARGET_MS, false, true)
    ],
    // No goal of its own: it is the base side of a diff, whose goal is bench/diff.ts's.
    [`closure facts, ${PATHS} paths, ${share} (the diff reads them from a substituter)`, seconds(f), '', '']
  ]
}
