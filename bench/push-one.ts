import * as compressorModule from '../src/push/upload/compressor.js'
import * as defaultsModule from '../src/push/create.js'
import * as uploadModule from '../src/push/upload/upload-path.js'
import { createPusher } from '../src/push/create.js'
import { openCachixSession } from '../src/cachix/session.js'
import { NixStore } from '../src/nix/store.js'
import { PUSH_SETTINGS, WRITE_TOKEN } from './config.js'
import { initCpuClock, ownCpu, reapedChildrenCpu } from './cpu.js'
import { ownPeakKiB } from './rss.js'
import { countSpawns } from './spawn-count.js'
import { threadTimes, type ThreadTimes } from './threads.js'

export interface PushOneResult {
  ms: number
  uploaded: number
  narBytes: number
  fileBytes: number
  peakRssKiB: number
  /** CPU seconds of this node process, and of the nix-store, zstd and nix processes it ran. */
  nodeCpu: number
  helperCpu: number
  /** CPU seconds of this process by thread (bench/threads.ts). */
  threads: ThreadTimes
  /** Programs the engine started, by name, with counts. */
  spawned: Record<string, number>
  /** What the engine says compressed (its compressorKind(), when it has one), else what the bench could see. */
  compressor: string
  node: string
  failures: string[]
}

// The engine's own answer (compressorName(method) in src/push/upload/compressor.ts), looked up by name
// so the bench still runs against an engine that does not have it.
async function engineCompressor(method: string): Promise<string | undefined> {
  for (const mod of [compressorModule, uploadModule, defaultsModule] as Record<string, unknown>[]) {
    for (const name of ['compressorName', 'compressorKind']) {
      const fn = mod[name]
      if (typeof fn === 'function') return String(await (fn as (m: string) => unknown)(method))
    }
  }
  return undefined
}

// A child process entry: pushes the closure of argv[4…] to cache argv[3] of the server at
// argv[2] with the production engine, and prints one JSON line. Its own peak RSS is
// read from the kernel at the end, so it counts only the push, not the benchmark driver.
const [baseUrl, cacheName, ...roots] = process.argv.slice(2)
await initCpuClock()
// Counted from here: what the engine starts, not the bench's own getconf.
const spawned = countSpawns()
const started = performance.now()
const session = await openCachixSession({
  baseUrl,
  cacheName,
  authToken: WRITE_TOKEN,
  compression: PUSH_SETTINGS.compression
})
// No tuning passed: exactly what the action and the CLI construct.
const pusher = createPusher(session, new NixStore())
pusher.add(roots)
const report = await pusher.drain()
const ms = performance.now() - started
const zstdProcesses = spawned.zstd ?? 0
const seen = `${zstdProcesses} zstd processes started for ${report.uploaded} paths`
const result: PushOneResult = {
  ms,
  uploaded: report.uploaded,
  narBytes: report.uploadedNarBytes,
  fileBytes: report.uploadedFileBytes,
  peakRssKiB: ownPeakKiB(),
  nodeCpu: ownCpu('self'),
  helperCpu: reapedChildrenCpu(),
  threads: threadTimes(),
  spawned,
  compressor: await engineCompressor(session.compression).then(kind =>
    kind === undefined ? `${seen}; the engine does not say which compressor it uses` : `${kind} (${seen})`
  ),
  node: `${process.version}, pid ${process.pid}`,
  failures: [...report.failures.map(f => `${f.path}: ${f.error}`), ...(report.fatal ? [report.fatal] : [])]
}
process.stdout.write(`${JSON.stringify(result)}\n`)
