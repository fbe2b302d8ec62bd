import { compressionBound, warmPageCache } from './bound.js'
import { cacheContents } from './cache-files.js'
import { config, WRITE_TOKEN } from './config.js'
import { measureCpu, reapedChildrenCpu } from './cpu.js'
import { closureFixture } from './fixture.js'
import { runNixCopy } from './nix-copy.js'
import { runOurPush } from './our-push.js'
import { best, checkPush, judged, mib, rate, ratio, seconds, type Row } from './report.js'
import { startBenchServer, type BenchServer } from './server.js'

const CACHES = [
  { name: 'A', writeTokens: [WRITE_TOKEN] },
  { name: 'B', writeTokens: [WRITE_TOKEN] }
]
const TARGET_VS_NIX = 1.5
const TARGET_VS_BOUND = 0.7

interface Timed {
  ms: number
  fileBytes: number
  /** CPU seconds of the pushing process tree and of the server process. */
  clientCpu: number
  serverCpu: number
}

// The client and the server share this machine's cores: CPU says where the time went.
function cpu(run: Timed): string {
  return `CPU client ${run.clientCpu.toFixed(1)} s, server ${run.serverCpu.toFixed(1)} s`
}

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
  const ours: (Timed & { valid: boolean })[] = []
  const nix: Timed[] = []
  const bound: Timed[] = []
  for (let i = 1; i <= config.runs; i++) {
    const o = await withServer(async server => {
      const { result, clientCpu, serverCpu } = await measureCpu(server.pid, () => runOurPush(server.url, 'A', [root]))
      return { ...result, clientCpu, serverCpu, valid: checkPush(log, `run ${i}: ours`, result.failures, result.uploaded, closure.length) }
    })
    ours.push(o)
    log(`run ${i}: ours ${seconds(o.ms)} (${rate(narBytes, o.ms)}), ${mib(o.fileBytes)} compressed; ${cpu(o)} (node ${o.nodeCpu.toFixed(1)} s, nix-store/zstd/nix ${o.helperCpu.toFixed(1)} s)`)
    const n = await withServer(async server => {
      const { result, clientCpu, serverCpu } = await measureCpu(server.pid, () => runNixCopy(server.cacheUrl('B'), server.dataDir, [root]))
      const contents = await cacheContents(server.dataDir, 'B')
      if (contents.narinfos !== closure.length) throw new Error(`nix copy left ${contents.narinfos} of ${closure.length} narinfos`)
      return { ms: result.ms, fileBytes: contents.narBytes, clientCpu, serverCpu }
    })
    nix.push(n)
    log(`run ${i}: nix copy ${seconds(n.ms)} (${rate(narBytes, n.ms)}), ${mib(n.fileBytes)} compressed; ${cpu(n)}`)
    const before = reapedChildrenCpu()
    const ms = await compressionBound(closure, config.dir)
    const b = { ms, fileBytes: 0, clientCpu: reapedChildrenCpu() - before, serverCpu: 0 }
    bound.push(b)
    log(`run ${i}: dump | zstd bound ${seconds(b.ms)} (${rate(narBytes, b.ms)}); CPU ${b.clientCpu.toFixed(1)} s`)
  }
  // A run in which paths failed did less work: it is never the best one.
  const o = best(ours, r => (r.valid ? r.ms : Infinity))
  const n = best(nix, r => r.ms)
  const b = best(bound, r => r.ms).ms
  const vsNix = n.ms / o.ms
  const vsBound = b / o.ms
  log(`best of ${config.runs}: ours ${rate(narBytes, o.ms)}, nix copy ${rate(narBytes, n.ms)}, bound ${rate(narBytes, b)}`)
  log(`ours / nix copy = ${ratio(vsNix)} (target >= ${TARGET_VS_NIX}x) ${judged(vsNix, TARGET_VS_NIX, true, o.valid)}`)
  log(`ours / bound    = ${ratio(vsBound)} (target >= ${TARGET_VS_BOUND}x) ${judged(vsBound, TARGET_VS_BOUND, true, o.valid)}`)
  return [
    ['push throughput, ours', `${rate(narBytes, o.ms)} (${seconds(o.ms)}, ${mib(o.fileBytes)} sent)${o.valid ? '' : ' INVALID'}`, '', ''],
    ['push throughput, nix copy', `${rate(narBytes, n.ms)} (${seconds(n.ms)}, ${mib(n.fileBytes)} sent)`, '', ''],
    ['compression bound (dump|zstd)', `${rate(narBytes, b)} (${seconds(b)})`, '', ''],
    ['CPU s client+server, ours', `${o.clientCpu.toFixed(1)} + ${o.serverCpu.toFixed(1)}`, '', ''],
    ['CPU s client+server, nix copy', `${n.clientCpu.toFixed(1)} + ${n.serverCpu.toFixed(1)}`, '', ''],
    ['ours / nix copy', ratio(vsNix), `>= ${TARGET_VS_NIX}x`, judged(vsNix, TARGET_VS_NIX, true, o.valid)],
    ['ours / bound', ratio(vsBound), `>= ${TARGET_VS_BOUND}x`, judged(vsBound, TARGET_VS_BOUND, true, o.valid)]
  ]
}
