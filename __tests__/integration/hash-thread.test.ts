import { afterAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { sharedBuffer } from '../../src/push/upload/buffer-pool.js'
import { HashThread } from '../../src/push/upload/hash-thread.js'
import { expectHashing, openStreamHash, runningHashThreads } from '../../src/push/upload/stream-hash.js'
import { chainExpression, expectSubstitutedWhole, nixBuild, nonce, realiseInFreshStore } from '../support/nix.js'
import { runModuleScript, sourceModule } from '../support/module-script.js'
import { makePusher } from '../support/push.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

const MiB = 1024 * 1024
/** CPU seconds of this process's threads named `name` (Node 24 names its threads; Node 20 does not). */
function threadCpu(name: string): number | undefined {
  let seconds: number | undefined
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== name) continue
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number)
    seconds = (seconds ?? 0) + (fields[11] + fields[12]) / 100
  }
  return seconds
}

/** Runs `body` in a fresh node process with the stream-hash module loaded as `hashes`: its exit code. */
async function exitOfProcessThat(body: string): Promise<number | 'hung'> {
  const { code, stdout } = await runModuleScript(
    `const hashes = await import(${sourceModule('push', 'upload', 'stream-hash.ts')})\n${body}\nconsole.log('done')`
  )
  expect(stdout).toContain('done')
  return code
}

/** Ends this process's hash threads, as a crash would: from then on every hash runs on the main thread. */
async function stopHashThreads(): Promise<void> {
  await Promise.all(runningHashThreads().map(thread => thread.stop()))
}

describe('the hash thread', () => {
  afterAll(async () => {
    await stopHashThreads()
  })

  it('is not started for a push smaller than it is worth: that one hashes on the main thread', async () => {
    const server = await startTestServer([{ name: 'small', writeTokens: [WRITE_TOKEN] }], { verifyNars: false })
    try {
      const [app] = await nixBuild(chainExpression(nonce(), 4 * MiB), 'app')
      const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'small', authToken: WRITE_TOKEN })
      pusher.add([app])
      const report = await pusher.drain(60_000)
      expect(report.failures).toEqual([])
      expect(report.uploaded).toBe(3)
      expect(runningHashThreads().length).toBe(0)
      const fresh = await realiseInFreshStore(server.cacheUrl('small'), server.publicKeys('small'), [app])
      expect(fresh.result.code).toBe(0)
    } finally {
      await server.close()
    }
  })

  it('gives the sha256 and MD5 node:crypto gives, for shared and copied bytes, across streams hashed at once', async () => {
    expectHashing(1 << 30)
    expect(runningHashThreads().length).toBe(1)
    const pieces = [randomBytes(3 * MiB), randomBytes(1), Buffer.alloc(0), randomBytes(777_777)]
    const shared = pieces.map(piece => {
      const copy = sharedBuffer(piece.length + 16).subarray(16)
      piece.copy(copy)
      return copy
    })
    const streams = [openStreamHash(), openStreamHash(), openStreamHash()]
    const md5s = await Promise.all(
      pieces.flatMap((piece, i) => [
        streams[0].update(shared[i]).then(() => ''),
        streams[1].updateWithMd5(piece),
        streams[2].updateWithMd5(shared[i])
      ])
    )
    const whole = createHash('sha256').update(Buffer.concat(pieces)).digest()
    for (const stream of streams) expect((await stream.digest()).equals(whole)).toBe(true)
    const expected = pieces.map(piece => createHash('md5').update(piece).digest('base64'))
    expect(md5s.filter((_, i) => i % 3 === 1)).toEqual(expected)
    expect(md5s.filter((_, i) => i % 3 === 2)).toEqual(expected)
  })

  it('hashes on its own thread, not the main one (Node 24 names it "hash")', async () => {
    expectHashing(1 << 30)
    const before = threadCpu('hash')
    const stream = openStreamHash()
    const data = sharedBuffer(64 * MiB)
    for (let i = 0; i < 8; i++) await stream.update(data)
    await stream.digest()
    const after = threadCpu('hash')
    if (process.version.startsWith('v20.')) expect(after).toBeUndefined()
    // 512 MiB of sha256 takes about a third of a second of that thread's CPU.
    else expect((after ?? 0) - (before ?? 0)).toBeGreaterThan(0.1)
  })

  it.each([
    ['started it and hashed nothing', 'hashes.expectHashing(1 << 30)'],
    [
      'hashed a stream to the end',
      'hashes.expectHashing(1 << 30); const s = hashes.openStreamHash(); await s.update(Buffer.alloc(1 << 20)); console.log((await s.digest()).length)'
    ],
    [
      'gave up a stream half-way',
      'const s = hashes.openStreamHash(); void s.update(Buffer.alloc(1 << 20)); s.discard()'
    ]
  ])('does not keep a process alive that %s', async (_what, body) => {
    expect(await exitOfProcessThat(body)).toBe(0)
  })

  it('fails what it was hashing when it dies, and says so to every caller after', async () => {
    const thread = new HashThread()
    const stream = thread.openStream()
    const pending = thread.update(stream, sharedBuffer(32 * MiB), true)
    await thread.stop()
    await expect(pending).rejects.toThrow()
    await expect(thread.digest(stream)).rejects.toThrow('the hash thread was stopped')
    expect(thread.broken).toBeDefined()
  })

  it('a push whose hash thread ends mid-way retries those paths and completes; real Nix substitutes them', async () => {
    const server = await startTestServer([{ name: 'hashes', writeTokens: [WRITE_TOKEN] }], { verifyNars: false })
    try {
      const tag = nonce()
      const expression = `let blob = n: derivation { name = "hashed-${tag}-\${toString n}"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "head -c ${24 * MiB} /dev/urandom > $out" ]; };
        in derivation { name = "hashed-${tag}"; system = "x86_64-linux"; builder = "/bin/sh"; blobs = map blob (builtins.genList (n: n) 4); args = [ "-c" "echo $blobs > $out" ]; }`
      const [root] = await nixBuild(expression)
      const { pusher, events } = await makePusher({
        baseUrl: server.url,
        cacheName: 'hashes',
        authToken: WRITE_TOKEN,
        partSize: 8 * MiB,
        jobs: 4
      })
      pusher.add([root])
      // The threads end while the blobs are being hashed.
      await new Promise<void>(resolve => {
        const poll = setInterval(() => {
          if (events.some(e => e.kind === 'queued')) {
            clearInterval(poll)
            setTimeout(resolve, 50)
          }
        }, 5)
      })
      await stopHashThreads()
      const report = await pusher.drain(90_000)
      expect(report.failures).toEqual([])
      expect(report.uploaded).toBe(5)
      expect(events.some(e => e.kind === 'retrying' && /hash thread/.test(e.error))).toBe(true)
      await expectSubstitutedWhole(server, 'hashes', root)
    } finally {
      await server.close()
    }
  })
})
