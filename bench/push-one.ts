import { createPusher } from '../src/push/defaults.js'
import { openCachixSession } from '../src/push/session.js'
import { NixStore } from '../src/nix/store.js'
import { PUSH_SETTINGS, WRITE_TOKEN } from './config.js'
import { initCpuClock, ownCpu, reapedChildrenCpu } from './cpu.js'
import { ownPeakKiB } from './rss.js'

export interface PushOneResult {
  ms: number
  uploaded: number
  narBytes: number
  fileBytes: number
  peakRssKiB: number
  /** CPU seconds of this node process, and of the nix-store, zstd and nix processes it ran. */
  nodeCpu: number
  helperCpu: number
  failures: string[]
}

// A child process entry: pushes the closure of argv[4…] to cache argv[3] of the server at
// argv[2] with the production engine, and prints one JSON line. Its own peak RSS is
// read from the kernel at the end, so it counts only the push, not the benchmark driver.
const [baseUrl, cacheName, ...roots] = process.argv.slice(2)
await initCpuClock()
const started = performance.now()
const session = await openCachixSession({ baseUrl, cacheName, authToken: WRITE_TOKEN, compression: PUSH_SETTINGS.compression })
// No tuning passed: exactly what the action and the CLI construct.
const pusher = createPusher(session, new NixStore())
pusher.add(roots)
const report = await pusher.drain()
const result: PushOneResult = {
  ms: performance.now() - started,
  uploaded: report.uploaded,
  narBytes: report.uploadedNarBytes,
  fileBytes: report.uploadedFileBytes,
  peakRssKiB: ownPeakKiB(),
  nodeCpu: ownCpu('self'),
  helperCpu: reapedChildrenCpu(),
  failures: [...report.failures.map(f => `${f.path}: ${f.error}`), ...(report.fatal ? [report.fatal] : [])]
}
process.stdout.write(`${JSON.stringify(result)}\n`)
