import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { runCommand } from '../../src/util/process.js'
import { CachixError } from '../../src/cachix/client.js'
import { openCachixSession } from '../../src/cachix/session.js'
import { chainExpression, closureOf, narHashIn, nixBuild, nonce, realiseInFreshStore } from '../support/nix.js'
import { makePusher } from '../support/push.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'
import { generateKey } from '../support/keys.js'

const MiB = 1024 * 1024

async function narinfoCount(dataDir: string, cache: string): Promise<number> {
  return (await readdir(join(dataDir, cache))).filter(f => f.endsWith('.narinfo')).length
}

describe('push engine against the local Cachix server and real Nix', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>
  let nixKey: { secret: string; public: string }

  beforeAll(async () => {
    nixKey = await generateKey('self-signed-1')
    const cachixKey = await generateKey('ignored-name')
    server = await startTestServer([
      { name: 'managed', writeTokens: [WRITE_TOKEN] },
      { name: 'managed-xz', writeTokens: [WRITE_TOKEN], preferredCompression: 'XZ' },
      { name: 'self-nix', signing: 'self', publicKey: nixKey.public.split(':')[1] },
      { name: 'self-cachix', signing: 'self', writeTokens: [WRITE_TOKEN], publicKey: cachixKey.public.split(':')[1] },
      { name: 'private', isPublic: false, writeTokens: [WRITE_TOKEN] }
    ])
    Object.assign(server, { cachixKey })
  })
  afterAll(async () => server.close())

  const modes = [
    {
      mode: 'token only, zstd (server signs)',
      cache: 'managed',
      token: true,
      key: undefined as undefined | 'nix' | 'cachix',
      compression: undefined
    },
    {
      mode: 'token only, xz (the cache prefers it)',
      cache: 'managed-xz',
      token: true,
      key: undefined,
      compression: undefined
    },
    {
      mode: 'Nix-format signing key, no token, zstd',
      cache: 'self-nix',
      token: false,
      key: 'nix' as const,
      compression: 'zstd' as const
    },
    {
      mode: 'Cachix-format signing key and token, xz',
      cache: 'self-cachix',
      token: true,
      key: 'cachix' as const,
      compression: 'xz' as const
    }
  ]

  it.each(modes)(
    '$mode: a fresh store substitutes the whole closure, byte-identical, signatures checked',
    async ({ cache, token, key, compression }) => {
      const tag = nonce()
      const [app] = await nixBuild(chainExpression(tag, 6 * MiB), 'app')
      const closure = await closureOf([app])
      expect(closure).toHaveLength(3)
      const cachixKey = (server as unknown as { cachixKey: { secret: string } }).cachixKey
      const signingKey = key === 'nix' ? nixKey.secret : key === 'cachix' ? cachixKey.secret.split(':')[1] : undefined
      const { pusher, events } = await makePusher({
        baseUrl: server.url,
        cacheName: cache,
        authToken: token ? WRITE_TOKEN : undefined,
        signingKey,
        compression,
        partSize: 5 * MiB
      })
      pusher.add([app])
      const report = await pusher.drain()

      expect(report.failures).toEqual([])
      expect(report.uploaded).toBe(3)
      expect(report.skippedPresent).toBe(0)
      expect(report.leftovers).toEqual([])
      expect(
        events
          .filter(e => e.kind === 'uploaded')
          .map(e => e.path)
          .sort()
      ).toEqual([...closure].sort())
      const narBytes = events.reduce((sum, e) => sum + (e.kind === 'uploaded' ? e.narSize : 0), 0)
      expect(report.uploadedNarBytes).toBe(narBytes)
      expect(narBytes).toBeGreaterThan(6 * MiB)

      const narinfos = await Promise.all(
        closure.map(p => fetch(`${server.cacheUrl(cache)}/${p.slice(11, 43)}.narinfo`).then(r => r.text()))
      )
      const expectedCompression = compression ?? (cache === 'managed-xz' ? 'xz' : 'zstd')
      for (const text of narinfos) expect(text).toContain(`Compression: ${expectedCompression}\n`)

      const fresh = await realiseInFreshStore(server.cacheUrl(cache), server.publicKeys(cache), [app])
      expect(fresh.result.stderr).not.toMatch(/building '/)
      expect(fresh.result.code).toBe(0)
      for (const path of closure) expect(await narHashIn(fresh.store, path)).toBe(await narHashIn('', path))
      // Byte for byte: the NAR serialisation of each substituted tree equals the original's.
      const dumpDigest = async (path: string): Promise<string> =>
        (await runCommand('sh', ['-c', 'nix-store --dump "$1" | sha256sum', 'dump', path])).stdout.split(' ')[0]
      for (const path of closure) expect(await dumpDigest(join(fresh.store, path))).toBe(await dumpDigest(path))
    }
  )

  it('a store that trusts another key refuses what was pushed', async () => {
    const [base] = await nixBuild(chainExpression(nonce()), 'base')
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'managed', authToken: WRITE_TOKEN })
    pusher.add([base])
    expect((await pusher.drain()).uploaded).toBe(1)
    const fresh = await realiseInFreshStore(server.cacheUrl('managed'), [nixKey.public], [base])
    expect(fresh.result.code).not.toBe(0)
  })

  it('re-pushing uploads nothing and counts every path as skipped', async () => {
    const [app] = await nixBuild(chainExpression(nonce()), 'app')
    const first = await makePusher({ baseUrl: server.url, cacheName: 'managed', authToken: WRITE_TOKEN })
    first.pusher.add([app])
    expect((await first.pusher.drain()).uploaded).toBe(3)
    const before = server.stats.completed
    const second = await makePusher({ baseUrl: server.url, cacheName: 'managed', authToken: WRITE_TOKEN })
    second.pusher.add([app])
    const report = await second.pusher.drain()
    expect(report).toMatchObject({ uploaded: 0, skippedPresent: 3, failed: 0, considered: 3, uploadedNarBytes: 0 })
    expect(second.events.filter(e => e.kind === 'skipped').length).toBe(3)
    expect(server.stats.completed).toBe(before)
  })

  it('private caches need the token to read', async () => {
    const [base] = await nixBuild(chainExpression(nonce()), 'base')
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'private', authToken: WRITE_TOKEN })
    pusher.add([base])
    expect((await pusher.drain()).uploaded).toBe(1)
    expect((await fetch(`${server.cacheUrl('private')}/${base.slice(11, 43)}.narinfo`)).status).toBe(401)
    const ok = await fetch(`${server.cacheUrl('private')}/${base.slice(11, 43)}.narinfo`, {
      headers: { Authorization: `Basic ${Buffer.from(`:${WRITE_TOKEN}`).toString('base64')}` }
    })
    expect(ok.status).toBe(200)
  })

  it.each([
    ['a wrong token', { cacheName: 'managed', authToken: 'nope' }, /rejected the auth token for cache "managed".*401/],
    [
      'an unknown cache',
      { cacheName: 'no-such-cache', authToken: WRITE_TOKEN },
      /cache "no-such-cache" does not exist/
    ],
    ['a private cache without a token', { cacheName: 'private' }, /private or does not exist.*cachix-auth-token/],
    ['a malformed signing key', { cacheName: 'self-nix', signingKey: 'mykey:AAAA' }, /decodes to 3 bytes, expected 64/]
  ])('%s is one clear error before anything is written', async (_why, options, message) => {
    const before = await narinfoCount(server.dataDir, 'managed')
    const error = await openCachixSession({ baseUrl: server.url, ...options }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message.split('\n')).toHaveLength(1)
    if (error instanceof CachixError) expect(error.fatal).toBe(true)
    expect(await narinfoCount(server.dataDir, 'managed')).toBe(before)
  })
})

describe('push engine under faults', () => {
  it('with 20% injected failures every path still ends up in the cache', async () => {
    const server = await startTestServer([{ name: 'flaky', writeTokens: [WRITE_TOKEN] }], {
      faults: { errorRate: 0.08, throttleRate: 0.06, retryAfterSeconds: 0, resetRate: 0.06, seed: 7 }
    })
    try {
      const tag = nonce()
      const expression = `let mk = n: deps: derivation { name = "flaky-${tag}-\${toString n}"; system = "x86_64-linux"; builder = "/bin/sh"; inherit deps; args = [ "-c" "echo \${toString n} $deps > $out" ]; };
        layer = n: if n == 0 then [] else [ (mk n (layer (n - 1))) ] ++ layer (n - 1);
        in mk 0 (layer 4)`
      const [root] = await nixBuild(expression)
      const closure = await closureOf([root])
      expect(closure.length).toBeGreaterThanOrEqual(5)
      const { pusher, events } = await makePusher({
        baseUrl: server.url,
        cacheName: 'flaky',
        authToken: WRITE_TOKEN,
        pathRetryDelayMs: 20
      })
      pusher.add([root])
      const report = await pusher.drain()
      expect(server.stats.faults).toBeGreaterThan(0)
      expect(report.failures).toEqual([])
      expect(report.uploaded).toBe(closure.length)
      expect(events.some(e => e.kind === 'uploaded')).toBe(true)
      const fresh = await realiseInFreshStore(server.cacheUrl('flaky'), server.publicKeys('flaky'), [root])
      expect(fresh.result.code).toBe(0)
    } finally {
      await server.close()
    }
  })
})

describe('push engine under memory pressure', () => {
  it('small paths waiting for buffer space while a large one holds it all lose nothing', async () => {
    // A slow server keeps the large upload's parts in flight, so every small path waits for
    // the byte budget after its compressor has already finished.
    const server = await startTestServer([{ name: 'tight', writeTokens: [WRITE_TOKEN] }], {
      faults: { slowRate: 1, slowMs: 100 }
    })
    try {
      const tag = nonce()
      const expression = `let big = derivation { name = "big-${tag}"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "head -c 12000000 /dev/urandom > $out" ]; };
        small = n: derivation { name = "small-${tag}-\${toString n}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo small \${toString n} > $out" ]; };
        in derivation { name = "root-${tag}"; system = "x86_64-linux"; builder = "/bin/sh"; inherit big; smalls = map small (builtins.genList (n: n) 30); args = [ "-c" "echo $big $smalls > $out" ]; }`
      const [root] = await nixBuild(expression)
      const { pusher } = await makePusher({
        baseUrl: server.url,
        cacheName: 'tight',
        authToken: WRITE_TOKEN,
        partSize: 5 * MiB,
        bufferBytes: 5 * MiB,
        jobs: 8
      })
      pusher.add([root])
      const report = await pusher.drain()
      expect(report.failures).toEqual([])
      expect(report.uploaded).toBe(32)
      const fresh = await realiseInFreshStore(server.cacheUrl('tight'), server.publicKeys('tight'), [root])
      expect(fresh.result.code).toBe(0)
    } finally {
      await server.close()
    }
  })
})

describe('push engine as a stream', () => {
  it('uploads a path added while a push is under way', async () => {
    const server = await startTestServer([{ name: 'stream', writeTokens: [WRITE_TOKEN] }], {
      faults: { slowRate: 1, slowMs: 150 }
    })
    try {
      const { pusher, events } = await makePusher({ baseUrl: server.url, cacheName: 'stream', authToken: WRITE_TOKEN })
      const [first] = await nixBuild(chainExpression(nonce()), 'app')
      pusher.add([first])
      // Wait until the first upload is really in progress, then build and add another path.
      while (!events.some(e => e.kind === 'queued')) await new Promise(r => setTimeout(r, 20))
      expect(pusher.totals().uploaded).toBeLessThan(3)
      const [second] = await nixBuild(chainExpression(nonce()), 'base')
      pusher.add([second])
      const report = await pusher.drain()
      expect(report.uploaded).toBe(4)
      expect(events.some(e => e.kind === 'uploaded' && e.path === second)).toBe(true)
    } finally {
      await server.close()
    }
  })

  it('draining with a deadline stops and reports what was left', async () => {
    const server = await startTestServer([{ name: 'slow', writeTokens: [WRITE_TOKEN] }], {
      faults: { slowRate: 1, slowMs: 1500 }
    })
    try {
      const [app] = await nixBuild(chainExpression(nonce()), 'app')
      const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'slow', authToken: WRITE_TOKEN, jobs: 1 })
      pusher.add([app])
      const started = Date.now()
      const report = await pusher.drain(2000)
      expect(Date.now() - started).toBeLessThan(6000)
      // Whatever stage the deadline cut (closure expansion, query, upload), the cut paths are
      // reported as leftovers, not lost and not counted as failures.
      const closure = await closureOf([app])
      expect(report.leftovers.length).toBeGreaterThan(0)
      for (const path of report.leftovers) expect(closure).toContain(path)
      expect(report.uploaded).toBeLessThan(3)
      expect(report.failed).toBe(0)
      expect(report.pending).toBe(report.leftovers.length)
    } finally {
      await server.close()
    }
  })
})
