import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { finalPush } from '../../src/push/final-push.js'
import { NixStore } from '../../src/nix/store.js'
import { createPusher } from '../../src/push/create.js'
import { makePushFilter } from '../../src/push/filter.js'
import type { Pusher } from '../../src/push/pusher.js'
import { openCachixSession } from '../../src/cachix/session.js'
import { chainExpression, closureOf, nixBuild, nonce } from '../support/nix.js'
import { makePusher } from '../support/push.js'
import { FAST_RETRIES, startTestServer, WRITE_TOKEN } from '../support/server.js'
import { pushFindings } from '../../src/report/outcome.js'

const CACHE = 'fleet'
// Every API call takes 1.5 s: pushing three paths one at a time takes well over 10 s.
const SLOW_MS = 1500

describe('the final push after a long build', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }], {
      faults: { slowRate: 1, slowMs: SLOW_MS }
    })
  })
  afterAll(async () => server.close())

  it('gives its second pass the whole drain-timeout, counted from its own start, and keeps the heartbeat going', async () => {
    const [app] = await nixBuild(chainExpression(nonce()), 'app')
    const closure = await closureOf([app])
    expect(closure.length).toBeGreaterThanOrEqual(3)
    const session = await openCachixSession({
      baseUrl: server.url,
      cacheName: CACHE,
      authToken: WRITE_TOKEN,
      retryPolicy: FAST_RETRIES
    })
    // The pusher the hook fed during the build: it has existed for an hour and uploaded nothing.
    const { pusher: idle } = await makePusher({ baseUrl: server.url, cacheName: CACHE, authToken: WRITE_TOKEN })
    const afterLongBuild = {
      add: () => undefined,
      totals: () => idle.totals(),
      drain: async (timeoutMs?: number) => ({ ...(await idle.drain(timeoutMs)), durationMs: 60 * 60 * 1000 })
    } as unknown as Pusher
    const lines: string[] = []
    const log = { info: (line: string) => lines.push(line), warning: (line: string) => lines.push(`warning: ${line}`) }
    const started = Date.now()
    const push = await finalPush({
      session,
      store: new NixStore(),
      filter: makePushFilter(),
      pusher: afterLongBuild,
      roots: [app],
      drainMs: 120_000,
      jobs: 1,
      onUploaded: () => undefined,
      heartbeatMs: 1000,
      log
    })
    const seconds = (Date.now() - started) / 1000
    expect({ missing: push.coverage?.missing, leftovers: push.leftovers, failures: push.failures }).toEqual({
      missing: [],
      leftovers: [],
      failures: []
    })
    expect(lines).toContain(
      `${closure.length} paths of the built closures are still missing from the cache: pushing them again`
    )
    // It needed more than the 10 s the second pass used to get.
    expect(seconds).toBeGreaterThan(10)
    const beats = lines.filter(l =>
      /^\[heartbeat \d+ min\] final push: pushed \d+ paths \([^)]*\), \d+ waiting, disk free /.test(l)
    )
    expect(beats.length).toBeGreaterThanOrEqual(Math.floor(seconds) - 3)
  }, 180_000)
})

describe('the final push after the token was revoked during the build', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>
  const ROTATED = 'token-rotated-while-building'
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [ROTATED] }])
  })
  afterAll(async () => server.close())

  it('reports the rejected token and the unknown coverage instead of failing the step', async () => {
    const [app] = await nixBuild(chainExpression(nonce()), 'app')
    const session = await openCachixSession({
      baseUrl: server.url,
      cacheName: CACHE,
      authToken: ROTATED,
      retryPolicy: FAST_RETRIES
    })
    // The pusher the build streamed to, made with the token that worked when the job started.
    const pusher = createPusher(session, new NixStore(), { jobs: 1 })
    server.revokeToken(CACHE, ROTATED)
    const push = await finalPush({
      session,
      store: new NixStore(),
      filter: makePushFilter(),
      pusher,
      roots: [app],
      drainMs: 30_000,
      jobs: 1,
      onUploaded: () => undefined,
      log: { info: () => undefined, warning: () => undefined }
    })
    expect(push.coverage).toBeUndefined()
    expect(push.unchecked).toMatch(/^Cachix rejected the auth token for cache "fleet" \(HTTP 401\)/)
    expect(push.fatal).toMatch(/^Cachix rejected the auth token for cache "fleet" \(HTTP 401\)/)
    expect(pushFindings(push, 30).map(f => [f.level, f.pushProblem === true, f.message])).toEqual([
      ['error', true, expect.stringMatching(/^pushing stopped: Cachix rejected the auth token for cache "fleet"/)],
      ...push.failures.slice(0, 10).map(() => ['warning', false, expect.stringMatching(/^push failed for /)])
    ])
    expect(server.stats.completed).toBe(0)
  })
})
