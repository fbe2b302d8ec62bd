import { compressionBound, BOUND_FRAME_BYTES, warmPageCache } from './bound.js'
import { config, GiB, WRITE_TOKEN } from './config.js'
import { measureCpu } from './cpu.js'
import type { ClosureFixture } from './fixture.js'
import { runNixCopy } from './nix-copy.js'
import { ensureInStore } from './other-store.js'
import { runOurPush } from './our-push.js'
import { cacheName, pushPeers, runsFor, type Peer } from './peers.js'
import { best, checkPush, judged, mib, rate, ratio, seconds, type Row } from './report.js'
import { describeThreads } from './threads.js'
import { startTarget, type BenchServer, type TargetKind } from './server.js'
import { errorMessage } from '../src/util/errors.js'

interface Timed {
  ms: number
  /** From the start of the pushing process to its end, as the CPU below is counted. */
  processMs: number
  fileBytes: number
  /** CPU seconds of the pushing process tree and of the server process. */
  clientCpu: number
  serverCpu: number
  valid: boolean
  detail: string
}

/** One push; a push that fails or hangs is an invalid run with the reason, never an exception. */
async function pushOnce(
  peer: Peer,
  server: BenchServer,
  cache: string,
  fixture: ClosureFixture,
  log: (line: string) => void,
  run: number
): Promise<Timed> {
  const started = performance.now()
  try {
    return await pushOrThrow(peer, server, cache, fixture, log, run)
  } catch (error: unknown) {
    const message = errorMessage(error)
    log(`run ${run}: ${peer.label}: INVALID RUN, ${message}`)
    return {
      ms: performance.now() - started,
      processMs: performance.now() - started,
      fileBytes: 0,
      clientCpu: 0,
      serverCpu: 0,
      valid: false,
      detail: `failed: ${message}`
    }
  }
}

async function pushOrThrow(
  peer: Peer,
  server: BenchServer,
  cache: string,
  fixture: ClosureFixture,
  log: (line: string) => void,
  run: number
): Promise<Timed> {
  const { closure, root } = fixture
  const started = performance.now()
  if (peer.kind === 'ours' && peer.node) {
    const node = peer.node
    const { result, clientCpu, serverCpu } = await measureCpu(server.pid, () =>
      runOurPush(server.url, cache, [root], { node: node.bin, env: peer.nix.env })
    )
    let valid = checkPush(log, `run ${run}: ${peer.label}`, result.failures, result.uploaded, closure.length)
    const received = await server.pathsReceived(cache)
    if (received !== closure.length) {
      log(`run ${run}: ${peer.label}: INVALID RUN, the server holds ${received} of ${closure.length} paths`)
      valid = false
    }
    const detail = `${result.node}: node ${result.nodeCpu.toFixed(2)} s (${describeThreads(result.threads)}) + helpers ${result.helperCpu.toFixed(2)} s CPU; compressor: ${result.compressor}; started ${JSON.stringify(result.spawned)}`
    const processMs = performance.now() - started
    return { ms: result.ms, processMs, fileBytes: result.fileBytes, clientCpu, serverCpu, valid, detail }
  }
  const { result, clientCpu, serverCpu } = await measureCpu(server.pid, () =>
    runNixCopy(peer.nix, server.cacheUrl(cache), server.dataDir, [root], false, peer.storeSettings)
  )
  const received = await server.pathsReceived(cache)
  const valid = received === closure.length
  if (!valid) log(`run ${run}: ${peer.label}: INVALID RUN, the server holds ${received} of ${closure.length} paths`)
  const processMs = performance.now() - started
  return {
    ms: result.ms,
    processMs,
    fileBytes: 0,
    clientCpu,
    serverCpu,
    valid,
    detail: result.storeUri.replace(/^.*\?/, '?')
  }
}

function cpuPerGiB(run: Timed, narBytes: number): number {
  return run.clientCpu / (narBytes / GiB)
}

/**
 * Cores the client kept busy: its CPU over the wall time of its process tree (for ours, from
 * the start of node, which the throughput's time leaves out). On a machine others share, this
 * shows what the client got, not what it could use.
 */
function coresUsed(run: Timed): string {
  return (run.clientCpu / (run.processMs / 1000)).toFixed(2)
}

// Issue 19's goals: Node 24 at least as fast as Nix 2.34's copy, at no more than 1.15x its CPU;
// Node 20 at least as fast as Nix 2.8's. The other ratios are printed without a goal.
const GOALS = {
  node24VsModernNix: 1.0,
  node20VsHostNix: 1.0,
  cpuVsModern: 1.15,
  vsBound: 0.7
}

/**
 * Push throughput of one closure to one kind of target: ours under Node 24 and Node 20, and
 * `nix copy` of both Nix versions, taking turns against the same server process; plus the
 * in-process compression bound over the same NARs.
 */
async function compareOn(
  kind: TargetKind,
  what: string,
  fixture: ClosureFixture,
  runs: number,
  peers: Peer[],
  log: (line: string) => void
): Promise<Row[]> {
  const { narBytes } = fixture
  const caches = peers.flatMap(p => runsFor(runs).map(r => ({ name: cacheName(p, r), writeTokens: [WRITE_TOKEN] })))
  const server = await startTarget(kind, caches)
  const results = new Map<string, Timed[]>()
  const bounds: { ms: number; cpu: number; compressedBytes: number }[] = []
  log(
    `[${what}, ${kind}] target: ${kind === 'local' ? 'our local server in its own process' : 'null target (stores and verifies nothing)'} at ${server.url}, pid ${server.pid}`
  )
  try {
    for (const run of runsFor(runs)) {
      for (const peer of peers) {
        const r = await pushOnce(peer, server, cacheName(peer, run), fixture, log, run)
        results.set(peer.id, [...(results.get(peer.id) ?? []), r])
        if (r.detail.startsWith('failed: ')) continue
        const sent = r.fileBytes > 0 ? `, ${mib(r.fileBytes)} sent` : ''
        log(
          `run ${run}: ${peer.label.padEnd(34)} ${seconds(r.ms)} ${rate(narBytes, r.ms).padStart(12)}${sent}; CPU client ${r.clientCpu.toFixed(2)} s (${coresUsed(r)} cores over ${seconds(r.processMs)}), server ${r.serverCpu.toFixed(2)} s${r.valid ? '' : ' INVALID'}`
        )
        log(`        ${r.detail}`)
      }
      if (kind === 'local') {
        const b = await compressionBound('', fixture.closure, config.dir)
        bounds.push(b)
        log(
          `run ${run}: compression bound (in process, ${b.workers} cores, ${mib(BOUND_FRAME_BYTES)} frames, ${b.node}) ${seconds(b.ms)} ${rate(narBytes, b.ms)}; CPU ${b.cpu.toFixed(2)} s, ${mib(b.compressedBytes)} compressed`
        )
      }
    }
  } finally {
    await server.stop()
  }
  const bestOf = (id: string): Timed | undefined => {
    const list = results.get(id)
    return list === undefined ? undefined : best(list, r => (r.valid ? r.ms : Infinity))
  }
  const rows: Row[] = []
  const tag = `[${what}, ${kind}]`
  for (const peer of peers) {
    const r = bestOf(peer.id)
    if (!r) continue
    rows.push([
      `${tag} ${peer.label}`,
      r.valid
        ? `${rate(narBytes, r.ms)} (${seconds(r.ms)}); CPU client ${r.clientCpu.toFixed(2)} s = ${cpuPerGiB(r, narBytes).toFixed(2)} s/GiB, ${coresUsed(r)} cores; server ${r.serverCpu.toFixed(2)} s`
        : `INVALID (${r.detail.replace(/^failed: /, '').slice(0, 90)})`,
      '',
      ''
    ])
  }
  const speed = (ours: string, nix: string, target: number | undefined, name: string): void => {
    const o = bestOf(ours)
    const n = bestOf(nix)
    const oursLabel = peers.find(p => p.id === ours)?.label
    const nixLabel = peers.find(p => p.id === nix)?.label
    const goal = target === undefined ? '' : `>= ${target}x`
    if (!o || !n) {
      rows.push([`${tag} ${name}`, 'not measured (peer missing)', goal, target === undefined ? '' : 'NOT RUN'])
      return
    }
    const value = n.ms / o.ms
    const verdict = target === undefined ? '' : judged(value, target, true, o.valid && n.valid)
    // Each side's parallelism beside the ratio: what the issue's goals turn on.
    const cores = `cores ${coresUsed(o)} vs ${coresUsed(n)}`
    log(
      `${tag} ${oursLabel} / ${nixLabel} throughput = ${ratio(value)}${goal ? ` (goal ${goal}) ${verdict}` : ''}; ${cores}`
    )
    rows.push([`${tag} ${name}`, `${ratio(value)} (${cores})`, goal, verdict])
  }
  speed('o24m', 'nm', GOALS.node24VsModernNix, 'throughput node24 / nix 2.34 copy')
  speed('o24m', 'nmp', undefined, 'throughput node24 / nix 2.34 copy, parallel')
  speed('o24h', 'nh', undefined, 'throughput node24 / nix 2.8 copy')
  speed('o20h', 'nh', GOALS.node20VsHostNix, 'throughput node20 / nix 2.8 copy')
  const cpu = (nix: string, target: number | undefined, name: string): void => {
    const o = bestOf('o24m')
    const n = bestOf(nix)
    const goal = target === undefined ? '' : `<= ${target}x`
    if (!o || !n || !o.valid || !n.valid) {
      const missing = !o || !n
      rows.push([
        `${tag} ${name}`,
        missing ? 'not measured (peer missing)' : 'no valid run of both',
        goal,
        target === undefined ? '' : missing ? 'NOT RUN' : 'FAIL (a push failed or hung)'
      ])
      return
    }
    const value = cpuPerGiB(o, narBytes) / cpuPerGiB(n, narBytes)
    const verdict = target === undefined ? '' : judged(value, target, false, true)
    log(
      `${tag} client CPU per GiB, node24 ${cpuPerGiB(o, narBytes).toFixed(2)} s / ${peers.find(p => p.id === nix)?.label} ${cpuPerGiB(n, narBytes).toFixed(2)} s = ${ratio(value)}${goal ? ` (goal ${goal}) ${verdict}` : ''}; server CPU ${o.serverCpu.toFixed(2)} s vs ${n.serverCpu.toFixed(2)} s`
    )
    rows.push([
      `${tag} ${name}`,
      `${ratio(value)} (${cpuPerGiB(o, narBytes).toFixed(2)} vs ${cpuPerGiB(n, narBytes).toFixed(2)} s/GiB; server ${o.serverCpu.toFixed(2)} vs ${n.serverCpu.toFixed(2)} s)`,
      goal,
      verdict
    ])
  }
  cpu('nm', GOALS.cpuVsModern, 'client CPU/GiB node24 / nix 2.34')
  cpu('nmp', undefined, 'client CPU/GiB node24 / nix 2.34 parallel')
  const ours = bestOf('o24h')
  if (bounds.length > 0 && ours) {
    const b = best(bounds, x => x.ms)
    const value = b.ms / ours.ms
    rows.push([
      `${tag} compression bound (in process, all cores)`,
      `${rate(narBytes, b.ms)} (${seconds(b.ms)}, CPU ${b.cpu.toFixed(2)} s)`,
      '',
      ''
    ])
    rows.push([
      `${tag} node24 / bound throughput`,
      ratio(value),
      `>= ${GOALS.vsBound}x`,
      judged(value, GOALS.vsBound, true, ours.valid)
    ])
  }
  return rows
}

/** The throughput sections: one closure against each configured target kind. */
export async function pushComparison(
  what: string,
  fixture: ClosureFixture,
  runs: number,
  log: (line: string) => void
): Promise<Row[]> {
  const peers = await pushPeers(log)
  log(`closure: ${fixture.closure.length} paths, ${mib(fixture.narBytes)} of NAR, root ${fixture.root}`)
  await warmPageCache('', fixture.closure, config.dir, fixture.narBytes)
  // One per store: a variant's install differs from its peer's only in its environment.
  for (const nix of new Map(peers.map(p => [p.nix.storeRoot, p.nix])).values()) {
    await ensureInStore(nix, fixture.closure, log)
    await warmPageCache(nix.storeRoot, fixture.closure, config.dir, fixture.narBytes)
  }
  const rows: Row[] = []
  for (const kind of config.targets) rows.push(...(await compareOn(kind, what, fixture, runs, peers, log)))
  return rows
}
