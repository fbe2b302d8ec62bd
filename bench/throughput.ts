import { compressionBound, BOUND_FRAME_BYTES, warmPageCache } from './bound.js'
import { config, GiB, WRITE_TOKEN } from './config.js'
import { measureCpu } from './cpu.js'
import type { ClosureFixture } from './fixture.js'
import { runNixCopy } from './nix-copy.js'
import { ensureInStore } from './other-store.js'
import { runOurPush } from './our-push.js'
import { cacheName, pushPeers, runsFor, type Peer } from './peers.js'
import { best, checkPush, judged, mib, rate, ratio, seconds, type Row } from './report.js'
import { startTarget, type BenchServer, type TargetKind } from './server.js'
import { errorMessage } from '../src/util/errors.js'

interface Timed {
  ms: number
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
    const detail = `${result.node}: node ${result.nodeCpu.toFixed(1)} s + helpers ${result.helperCpu.toFixed(1)} s CPU; compressor: ${result.compressor}; started ${JSON.stringify(result.spawned)}`
    return { ms: result.ms, fileBytes: result.fileBytes, clientCpu, serverCpu, valid, detail }
  }
  const { result, clientCpu, serverCpu } = await measureCpu(server.pid, () =>
    runNixCopy(peer.nix, server.cacheUrl(cache), server.dataDir, [root])
  )
  const received = await server.pathsReceived(cache)
  const valid = received === closure.length
  if (!valid) log(`run ${run}: ${peer.label}: INVALID RUN, the server holds ${received} of ${closure.length} paths`)
  return { ms: result.ms, fileBytes: 0, clientCpu, serverCpu, valid, detail: result.storeUri.replace(/^.*\?/, '?') }
}

function cpuPerGiB(run: Timed, narBytes: number): number {
  return run.clientCpu / (narBytes / GiB)
}

const GOALS = {
  node24VsNix: 1.5,
  node20VsHostNix: 1.0,
  cpuVsModern: 0.7,
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
          `run ${run}: ${peer.label.padEnd(34)} ${seconds(r.ms)} ${rate(narBytes, r.ms).padStart(12)}${sent}; CPU client ${r.clientCpu.toFixed(2)} s, server ${r.serverCpu.toFixed(2)} s${r.valid ? '' : ' INVALID'}`
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
        ? `${rate(narBytes, r.ms)} (${seconds(r.ms)}); CPU client ${r.clientCpu.toFixed(2)} s = ${cpuPerGiB(r, narBytes).toFixed(2)} s/GiB, server ${r.serverCpu.toFixed(2)} s`
        : `INVALID (${r.detail.replace(/^failed: /, '').slice(0, 90)})`,
      '',
      ''
    ])
  }
  const speed = (ours: string, nix: string, target: number, name: string): void => {
    const o = bestOf(ours)
    const n = bestOf(nix)
    const oursLabel = peers.find(p => p.id === ours)?.label
    const nixLabel = peers.find(p => p.id === nix)?.label
    if (!o || !n) {
      rows.push([`${tag} ${name}`, 'not measured (peer missing)', `>= ${target}x`, 'NOT RUN'])
      return
    }
    const value = n.ms / o.ms
    log(
      `${tag} ${oursLabel} / ${nixLabel} throughput = ${ratio(value)} (goal >= ${target}x) ${judged(value, target, true, o.valid && n.valid)}`
    )
    rows.push([`${tag} ${name}`, ratio(value), `>= ${target}x`, judged(value, target, true, o.valid && n.valid)])
  }
  speed('o24m', 'nm', GOALS.node24VsNix, 'throughput node24 / nix 2.34 copy')
  speed('o24h', 'nh', GOALS.node24VsNix, 'throughput node24 / nix 2.8 copy')
  speed('o20h', 'nh', GOALS.node20VsHostNix, 'throughput node20 / nix 2.8 copy')
  const o = bestOf('o24m')
  const n = bestOf('nm')
  if (o && n && o.valid && n.valid) {
    const value = cpuPerGiB(o, narBytes) / cpuPerGiB(n, narBytes)
    log(
      `${tag} client CPU per GiB, node24 ${cpuPerGiB(o, narBytes).toFixed(2)} s / nix 2.34 ${cpuPerGiB(n, narBytes).toFixed(2)} s = ${ratio(value)} (goal <= ${GOALS.cpuVsModern}x); server CPU ${o.serverCpu.toFixed(2)} s vs ${n.serverCpu.toFixed(2)} s`
    )
    rows.push([
      `${tag} client CPU/GiB node24 / nix 2.34`,
      `${ratio(value)} (${cpuPerGiB(o, narBytes).toFixed(2)} vs ${cpuPerGiB(n, narBytes).toFixed(2)} s/GiB; server ${o.serverCpu.toFixed(2)} vs ${n.serverCpu.toFixed(2)} s)`,
      `<= ${GOALS.cpuVsModern}x`,
      judged(value, GOALS.cpuVsModern, false, o.valid && n.valid)
    ])
  } else
    rows.push([
      `${tag} client CPU/GiB node24 / nix 2.34`,
      o && n ? 'no valid run of both' : 'not measured (peer missing)',
      `<= ${GOALS.cpuVsModern}x`,
      o && n ? 'FAIL (a push failed or hung)' : 'NOT RUN'
    ])
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
  for (const nix of new Set(peers.map(p => p.nix))) {
    await ensureInStore(nix, fixture.closure, log)
    await warmPageCache(nix.storeRoot, fixture.closure, config.dir, fixture.narBytes)
  }
  const rows: Row[] = []
  for (const kind of config.targets) rows.push(...(await compareOn(kind, what, fixture, runs, peers, log)))
  return rows
}
