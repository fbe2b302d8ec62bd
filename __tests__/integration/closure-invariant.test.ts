import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import * as zlib from 'node:zlib'
import { runCommand } from '../../src/util/process.js'
import { compressorName, FRAME_BYTES } from '../../src/push/upload/compressor.js'
import { NarSource } from '../../src/push/upload/upload-path.js'
import { walkClosure } from '../../src/cachix/closure-walk.js'
import { CachixClient } from '../../src/cachix/client.js'
import { closureOf, expectSubstitutedWhole, narHashIn, nixBuild, nonce, realiseInFreshStore } from '../support/nix.js'
import { makePusher } from '../support/push.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

type Server = Awaited<ReturnType<typeof startTestServer>>

const MiB = 1024 * 1024
// A part that always fails is given up on within a second, not after Cachix's 90 s budget.
const GIVE_UP_FAST = { baseDelayMs: 5, maxDelayMs: 20, budgetMs: 100, maxRetryAfterMs: 50 }

/** top → big (random bytes: about three 8 MiB parts, several zstd frames) and top → small. */
function topBigSmall(tag: string): string {
  return `let mk = name: script: attrs: derivation ({ inherit name; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" script ]; } // attrs);
    big = mk "big-${tag}" "head -c ${20 * MiB} /dev/urandom > $out" {};
    small = mk "small-${tag}" "echo small > $out" {};
    top = mk "top-${tag}" "echo $big $small > $out" { inherit big small; };
  in { inherit big small top; }`
}

async function narinfoHashes(server: Server, cache: string): Promise<Set<string>> {
  return new Set(
    (await readdir(join(server.dataDir, cache))).filter(f => f.endsWith('.narinfo')).map(f => f.slice(0, 32))
  )
}

describe.each([NarSource.InProcess, NarSource.NixStore])('the closure invariant, NARs read by %s', source => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: 'strict', writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  it('a reference whose later parts always fail keeps its referrer unpublished; a clean rerun completes the closure', async () => {
    const tag = nonce()
    const [top] = await nixBuild(topBigSmall(tag), 'top')
    const [big] = await nixBuild(topBigSmall(tag), 'big')
    const [small] = await nixBuild(topBigSmall(tag), 'small')
    // Part 1 is still in flight when part 2 fails, on every attempt.
    server.setFaults({ failPartsFrom: 2, slowFirstPartMs: 300 })
    const first = await makePusher({
      baseUrl: server.url,
      cacheName: 'strict',
      authToken: WRITE_TOKEN,
      partSize: 8 * MiB,
      pathRetryDelayMs: 10,
      retryPolicy: GIVE_UP_FAST,
      narSource: source
    })
    first.pusher.add([top])
    const report = await first.pusher.drain()
    server.setFaults(undefined)

    expect(report.uploaded).toBe(1)
    expect(report.failures.map(f => f.path).sort()).toEqual([big, top].sort())
    expect(report.failures.find(f => f.path === big)?.error).toMatch(/HTTP 500/)
    expect(report.failures.find(f => f.path === top)?.error).toMatch(
      new RegExp(`not published: its closure needs ${big}, which failed`)
    )
    const published = await narinfoHashes(server, 'strict')
    expect(published.has(small.slice(11, 43))).toBe(true)
    expect(published.has(top.slice(11, 43))).toBe(false)
    expect(published.has(big.slice(11, 43))).toBe(false)
    expect(server.stats.incompleteClosures).toEqual([])
    const client = new CachixClient({ baseUrl: server.url, cacheName: 'strict', authToken: WRITE_TOKEN })
    expect((await walkClosure(client, [top])).complete).toBe(false)

    const second = await makePusher({
      baseUrl: server.url,
      cacheName: 'strict',
      authToken: WRITE_TOKEN,
      narSource: source
    })
    second.pusher.add([top])
    const rerun = await second.pusher.drain()
    expect(rerun.failures).toEqual([])
    expect(rerun).toMatchObject({ uploaded: 2, skippedPresent: 1 })
    expect(server.stats.incompleteClosures).toEqual([])
    const walk = await walkClosure(client, [top])
    expect(walk).toEqual({ complete: true, checked: 3, upstream: 0, firstMissing: undefined })

    const fresh = await realiseInFreshStore(server.cacheUrl('strict'), server.publicKeys('strict'), [top])
    expect(fresh.result.code).toBe(0)
    expect(fresh.result.stderr).not.toMatch(/building '/)
    for (const path of await closureOf([top]))
      expect(await narHashIn(fresh.store, path)).toBe(await narHashIn('', path))
  })

  it('a referrer that finishes uploading first waits for its reference before it is published', async () => {
    const [top] = await nixBuild(topBigSmall(nonce()), 'top')
    server.setFaults({ slowFirstPartMs: 1500 })
    const { pusher, events } = await makePusher({
      baseUrl: server.url,
      cacheName: 'strict',
      authToken: WRITE_TOKEN,
      partSize: 8 * MiB,
      jobs: 4,
      narSource: source
    })
    pusher.add([top])
    const report = await pusher.drain()
    server.setFaults(undefined)
    expect(report.failures).toEqual([])
    expect(report.uploaded).toBe(3)
    const waited = events.find(e => e.kind === 'waiting' && e.path === top)
    expect(waited).toBeDefined()
    const order = events.filter(e => e.kind === 'uploaded').map(e => e.path)
    expect(order.indexOf(top)).toBe(2)
    expect(server.stats.incompleteClosures).toEqual([])
  })
})

describe('zstd in process', () => {
  const hasZstd = typeof (zlib as unknown as { zstdCompress?: unknown }).zstdCompress === 'function'

  it(`compresses with ${hasZstd ? 'node:zlib in parallel frames' : 'the zstd program (no zstd in this Node)'} and real Nix substitutes the result byte-identical`, async () => {
    const name = await compressorName('zstd')
    if (hasZstd) expect(name).toBe('node:zlib zstd, parallel frames')
    else
      expect(name).toMatch(
        new RegExp(`^zstd program, long-lived, .*\\(Node ${process.version.replace(/\./g, '\\.')} has no zstd`)
      )

    const server = await startTestServer([{ name: 'frames', writeTokens: [WRITE_TOKEN] }])
    try {
      const [big] = await nixBuild(topBigSmall(nonce()), 'big')
      const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'frames', authToken: WRITE_TOKEN })
      pusher.add([big])
      expect((await pusher.drain()).uploaded).toBe(1)
      const nars = (await readdir(join(server.dataDir, 'frames', 'nar'))).filter(f => f.endsWith('.nar.zst'))
      expect(nars).toHaveLength(1)
      const { stdout } = await runCommand('zstd', ['-l', join(server.dataDir, 'frames', 'nar', nars[0])])
      const frames = Number(/^\s*(\d+)\s/m.exec(stdout.split('\n')[1] ?? '')?.[1])
      // 20 MiB of NAR in 2 MiB frames; the zstd program writes one frame per input.
      expect(frames).toBe(hasZstd ? Math.ceil((20 * MiB + 200) / FRAME_BYTES) : 1)
      await expectSubstitutedWhole(server, 'frames', big)
    } finally {
      await server.close()
    }
  })
})
