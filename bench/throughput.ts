import { config, WRITE_TOKEN } from './config.js'
import { compressionBound, warmPageCache } from './bound.js'
import { cacheContents } from './cache-files.js'
import { closureFixture } from './fixture.js'
import { runNixCopy } from './nix-copy.js'
import { runOurPush } from './our-push.js'
import { best, mib, rate, ratio, seconds, verdict, type Row } from './report.js'
import { startBenchServer, type BenchServer } from './server.js'

const CACHES = [
  { name: 'A', writeTokens: [WRITE_TOKEN] },
  { name: 'B', writeTokens: [WRITE_TOKEN] }
]
const TARGET_VS_NIX = 1.5
const TARGET_VS_BOUND = 0.7

async function withServer<T>(use: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await startBenchServer(CACHES)
  try {
    return await use(server)
  } finally {
    await server.stop()
  }
}

/** Push throughput of one ~1 GiB closure: ours vs `nix copy` vs dump|zstd alone. */
export async function throughput(log: (line: string) => void): Promise<Row[]> {
  const fixture = await closureFixture(log)
  const { root, closure, narBytes } = fixture
  log(`closure: ${closure.length} paths, ${mib(narBytes)} of NAR, root ${root}`)
  await warmPageCache(closure, config.dir)
  const ours: { ms: number; fileBytes: number }[] = []
  const nix: { ms: number; fileBytes: number }[] = []
  const bound: number[] = []
  for (let i = 1; i <= config.runs; i++) {
    const o = await withServer(async server => {
      const result = await runOurPush(server.url, 'A', [root])
      if (result.uploaded !== closure.length) throw new Error(`our push uploaded ${result.uploaded} of ${closure.length} paths`)
      return result
    })
    ours.push(o)
    log(`run ${i}: ours ${seconds(o.ms)} (${rate(narBytes, o.ms)}), ${mib(o.fileBytes)} compressed`)
    const n = await withServer(async server => {
      const result = await runNixCopy(server.cacheUrl('B'), server.dataDir, [root])
      const contents = await cacheContents(server.dataDir, 'B')
      if (contents.narinfos !== closure.length) throw new Error(`nix copy left ${contents.narinfos} of ${closure.length} narinfos`)
      return { ms: result.ms, fileBytes: contents.narBytes }
    })
    nix.push(n)
    log(`run ${i}: nix copy ${seconds(n.ms)} (${rate(narBytes, n.ms)}), ${mib(n.fileBytes)} compressed`)
    const b = await compressionBound(closure, config.dir)
    bound.push(b)
    log(`run ${i}: dump | zstd bound ${seconds(b)} (${rate(narBytes, b)})`)
  }
  const o = best(ours, r => r.ms)
  const n = best(nix, r => r.ms)
  const b = Math.min(...bound)
  const vsNix = n.ms / o.ms
  const vsBound = b / o.ms
  log(`best of ${config.runs}: ours ${rate(narBytes, o.ms)}, nix copy ${rate(narBytes, n.ms)}, bound ${rate(narBytes, b)}`)
  log(`ours / nix copy = ${ratio(vsNix)} (target >= ${TARGET_VS_NIX}x) ${verdict(vsNix, TARGET_VS_NIX, true)}`)
  log(`ours / bound    = ${ratio(vsBound)} (target >= ${TARGET_VS_BOUND}x) ${verdict(vsBound, TARGET_VS_BOUND, true)}`)
  return [
    ['push throughput, ours', `${rate(narBytes, o.ms)} (${seconds(o.ms)}, ${mib(o.fileBytes)} sent)`, '', ''],
    ['push throughput, nix copy', `${rate(narBytes, n.ms)} (${seconds(n.ms)}, ${mib(n.fileBytes)} sent)`, '', ''],
    ['compression bound (dump|zstd)', `${rate(narBytes, b)} (${seconds(b)})`, '', ''],
    ['ours / nix copy', ratio(vsNix), `>= ${TARGET_VS_NIX}x`, verdict(vsNix, TARGET_VS_NIX, true)],
    ['ours / bound', ratio(vsBound), `>= ${TARGET_VS_BOUND}x`, verdict(vsBound, TARGET_VS_BOUND, true)]
  ]
}
