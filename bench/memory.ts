import { bigFixture } from './big-fixture.js'
import { warmPageCache } from './bound.js'
import { config, WRITE_TOKEN } from './config.js'
import { runNixCopy } from './nix-copy.js'
import { runOurPush } from './our-push.js'
import { best, checkPush, judged, mib, rate, ratio, seconds, type Row } from './report.js'
import type { PeakRss } from './rss.js'
import { startBenchServer } from './server.js'

const TARGET_KIB = 200 * 1024

function helpers(peak: PeakRss | undefined, main: string): string {
  const others = Object.entries(peak?.byCommand ?? {}).filter(([name]) => name !== main)
  return others.length === 0 ? 'none' : others.map(([name, kib]) => `${name} ${mib(kib * 1024)}`).join(', ')
}

/** Peak memory while pushing one big NAR: our node process vs the `nix copy` process. */
export async function memory(log: (line: string) => void): Promise<Row[]> {
  const { path, narBytes } = await bigFixture(log)
  log(`big NAR: ${path}, ${mib(narBytes)}`)
  await warmPageCache([path], config.dir)
  const ours: (Awaited<ReturnType<typeof runOurPush>> & { valid: boolean })[] = []
  const nix: Awaited<ReturnType<typeof runNixCopy>>[] = []
  for (let i = 1; i <= config.runs; i++) {
    const server = await startBenchServer([{ name: 'A', writeTokens: [WRITE_TOKEN] }, { name: 'B', writeTokens: [WRITE_TOKEN] }])
    try {
      const pushed = await runOurPush(server.url, 'A', [path], true)
      const o = { ...pushed, valid: checkPush(log, `run ${i}: ours`, pushed.failures, pushed.uploaded, 1) }
      ours.push(o)
      log(`run ${i}: ours peak RSS ${mib(o.peakRssKiB * 1024)} (node), tree ${mib((o.tree?.treeKiB ?? 0) * 1024)}; helpers: ${helpers(o.tree, 'node')}; ${seconds(o.ms)}, ${rate(narBytes, o.ms)}`)
      const n = await runNixCopy(server.cacheUrl('B'), server.dataDir, [path], true)
      nix.push(n)
      log(`run ${i}: nix copy peak RSS ${mib((n.peak?.byCommand.nix ?? 0) * 1024)} (nix), tree ${mib((n.peak?.treeKiB ?? 0) * 1024)}; ${seconds(n.ms)}, ${rate(narBytes, n.ms)}`)
    } finally {
      await server.stop()
    }
  }
  // Memory varies little run to run; the worst run is the honest number for a ceiling.
  const o = best(ours, r => (r.valid ? -r.peakRssKiB : Infinity))
  const n = best(nix, r => -(r.peak?.byCommand.nix ?? 0))
  const nixKiB = n.peak?.byCommand.nix ?? 0
  log(`ours ${mib(o.peakRssKiB * 1024)} vs nix copy ${mib(nixKiB * 1024)} (target ours <= ${mib(TARGET_KIB * 1024)}) ${judged(o.peakRssKiB, TARGET_KIB, false, o.valid)}`)
  return [
    [`peak RSS, ours (node, ${mib(narBytes)} NAR)`, mib(o.peakRssKiB * 1024), `<= ${TARGET_KIB / 1024} MiB`, judged(o.peakRssKiB, TARGET_KIB, false, o.valid)],
    ['peak RSS, ours whole tree (50 ms samples)', mib((o.tree?.treeKiB ?? 0) * 1024), '', ''],
    ['peak RSS, nix copy', mib(nixKiB * 1024), '', ''],
    ['nix copy / ours peak RSS', ratio(nixKiB / o.peakRssKiB), '', '']
  ]
}
