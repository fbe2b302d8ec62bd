import { bigFixture } from './big-fixture.js'
import { warmPageCache } from './bound.js'
import { config, MiB, WRITE_TOKEN } from './config.js'
import { runNixCopy } from './nix-copy.js'
import { ensureInStore } from './other-store.js'
import { runOurPush } from './our-push.js'
import { cacheName, pushPeers, runsFor } from './peers.js'
import { checkPush, judged, mib, rate, ratio, seconds, type Row } from './report.js'
import type { PeakRss } from './rss.js'
import { startBenchServer } from './server.js'
import { errorMessage } from '../src/util/errors.js'

// Issue 19: relaxed from 100 MiB, so the hashes can run on a worker thread (a runner has 16 GiB).
const TARGET_TREE_BYTES = 160 * MiB

function byCommand(peak: PeakRss | undefined): string {
  const entries = Object.entries(peak?.byCommand ?? {})
  return entries.length === 0 ? 'none' : entries.map(([name, kib]) => `${name} ${mib(kib * 1024)}`).join(', ')
}

/**
 * Peak memory of the whole pushing process tree (sampled every 50 ms, plus each process's
 * kernel high-water mark) while one big NAR goes to our server: ours on Node 24, which the
 * action runs, and `nix copy` of each Nix.
 */
export async function memory(log: (line: string) => void): Promise<Row[]> {
  const fixture = await bigFixture(log)
  const { path, narBytes } = fixture
  log(`big NAR: ${path}, ${mib(narBytes)}`)
  const peers = (await pushPeers(log)).filter(p => p.kind === 'nix' || p.id === 'o24h')
  await warmPageCache('', [path], config.dir, narBytes)
  for (const nix of new Set(peers.filter(p => p.kind === 'nix').map(p => p.nix))) await ensureInStore(nix, [path], log)
  const peaks = new Map<string, { treeKiB: number; valid: boolean }>()
  const server = await startBenchServer(
    peers.flatMap(p => runsFor(config.runs).map(r => ({ name: cacheName(p, r), writeTokens: [WRITE_TOKEN] })))
  )
  try {
    for (const run of runsFor(config.runs)) {
      for (const peer of peers) {
        let treeKiB = 0
        let valid = true
        let line: string
        try {
          if (peer.kind === 'ours' && peer.node) {
            const o = await runOurPush(server.url, cacheName(peer, run), [path], {
              node: peer.node.bin,
              env: peer.nix.env,
              sampleRss: true
            })
            valid = checkPush(log, `run ${run}: ${peer.label}`, o.failures, o.uploaded, 1)
            treeKiB = Math.max(o.tree?.treeKiB ?? 0, o.peakRssKiB)
            line = `node VmHWM ${mib(o.peakRssKiB * 1024)}, by process: ${byCommand(o.tree)}; ${seconds(o.ms)}, ${rate(narBytes, o.ms)}; compressor: ${o.compressor}`
          } else {
            await warmPageCache(peer.nix.storeRoot, [path], config.dir, narBytes)
            const n = await runNixCopy(
              peer.nix,
              server.cacheUrl(cacheName(peer, run)),
              server.dataDir,
              [path],
              true,
              peer.storeSettings
            )
            treeKiB = n.peak?.treeKiB ?? 0
            line = `by process: ${byCommand(n.peak)}; ${seconds(n.ms)}, ${rate(narBytes, n.ms)}`
          }
        } catch (error: unknown) {
          valid = false
          line = `INVALID RUN, ${errorMessage(error)}`
        }
        log(`run ${run}: ${peer.label.padEnd(34)} tree peak ${mib(treeKiB * 1024)}; ${line}`)
        // The worst run is the honest number for a ceiling.
        const prior = peaks.get(peer.id)
        peaks.set(peer.id, { treeKiB: Math.max(prior?.treeKiB ?? 0, treeKiB), valid: (prior?.valid ?? true) && valid })
      }
    }
  } finally {
    await server.stop()
  }
  const rows: Row[] = []
  for (const peer of peers) {
    const p = peaks.get(peer.id)
    if (!p) continue
    if (peer.kind === 'ours') {
      rows.push([
        `peak RSS, process tree, ${peer.label} (${mib(narBytes)} NAR)`,
        mib(p.treeKiB * 1024),
        `<= ${TARGET_TREE_BYTES / MiB} MiB`,
        judged(p.treeKiB * 1024, TARGET_TREE_BYTES, false, p.valid)
      ])
    } else {
      const ours = peaks.get('o24h')
      rows.push([
        `peak RSS, process tree, ${peer.label}`,
        `${mib(p.treeKiB * 1024)}${ours ? ` (${ratio(p.treeKiB / ours.treeKiB)} ours)` : ''}`,
        '',
        ''
      ])
    }
  }
  return rows
}
