import { CachixClient } from '../src/cachix/client.js'
import { config, WRITE_TOKEN } from './config.js'
import { syntheticHashes, writePresentNarInfos } from './missing-fixture.js'
import { best, ratio, seconds, type Row } from './report.js'
import { startBenchServer } from './server.js'

const PATHS = 20_000
const CACHE = 'half'
// Nix's default http-connections: how many narinfo requests it keeps in flight.
const NIX_CONNECTIONS = 25

async function oursMissing(baseUrl: string, hashes: string[]): Promise<{ ms: number; missing: number }> {
  const client = new CachixClient({ baseUrl, cacheName: CACHE, authToken: WRITE_TOKEN })
  const started = performance.now()
  const missing = await client.missingHashes(hashes)
  return { ms: performance.now() - started, missing: missing.size }
}

/** What Nix does for `nix copy`: one narinfo GET per path, 404 meaning missing. */
async function perPathMissing(cacheUrl: string, hashes: string[]): Promise<{ ms: number; missing: number }> {
  const started = performance.now()
  let next = 0
  let missing = 0
  const worker = async (): Promise<void> => {
    while (next < hashes.length) {
      const hash = hashes[next++]
      const response = await fetch(`${cacheUrl}/${hash}.narinfo`)
      await response.arrayBuffer()
      if (response.status === 404) missing++
      else if (response.status !== 200) throw new Error(`GET ${hash}.narinfo: HTTP ${response.status}`)
    }
  }
  await Promise.all(Array.from({ length: NIX_CONNECTIONS }, worker))
  return { ms: performance.now() - started, missing }
}

/** Deciding what to upload for a 20,000-path closure against a cache that has half of it. */
export async function missingQuery(log: (line: string) => void): Promise<Row[]> {
  const { all, present } = syntheticHashes(config.seed, PATHS)
  const server = await startBenchServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }], dataDir =>
    writePresentNarInfos(dataDir, CACHE, present)
  )
  const ours: { ms: number; missing: number }[] = []
  const peer: { ms: number; missing: number }[] = []
  try {
    // One untimed round of each first, so neither pays alone for a cold server or cold caches.
    await oursMissing(server.url, all)
    await perPathMissing(server.cacheUrl(CACHE), all)
    for (let i = 1; i <= config.runs; i++) {
      const o = await oursMissing(server.url, all)
      const p = await perPathMissing(server.cacheUrl(CACHE), all)
      for (const [who, r] of [
        ['ours', o],
        ['per-path GET', p]
      ] as const) {
        if (r.missing !== all.length - present.length)
          throw new Error(`${who} found ${r.missing} missing, expected ${all.length - present.length}`)
      }
      ours.push(o)
      peer.push(p)
      log(`run ${i}: ours (bulk POST) ${seconds(o.ms)}, per-path GET x${NIX_CONNECTIONS} ${seconds(p.ms)}`)
    }
  } finally {
    await server.stop()
  }
  const o = best(ours, r => r.ms)
  const p = best(peer, r => r.ms)
  log(
    `${PATHS} paths, ${present.length} present: ours ${seconds(o.ms)}, per-path ${seconds(p.ms)}, per-path / ours = ${ratio(p.ms / o.ms)}`
  )
  return [
    [`missing query, ours (${PATHS} paths, bulk POST)`, seconds(o.ms), '', ''],
    [`missing query, per-path GET x${NIX_CONNECTIONS}`, seconds(p.ms), '', ''],
    ['per-path / ours time', ratio(p.ms / o.ms), '', '']
  ]
}
