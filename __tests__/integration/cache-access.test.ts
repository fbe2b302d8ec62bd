import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { firstContactLimits, openBefore, openCacheAccess, readerOf } from '../../src/cachix/cache-access.js'
import { FAST_RETRIES, READ_TOKEN, startTestServer, WRITE_TOKEN } from '../support/server.js'

type Server = Awaited<ReturnType<typeof startTestServer>>

const ROTATED = 'token-that-gets-rotated'
const LIMITS = firstContactLimits(0.01)

describe('opening a cache that is down, gone, or refuses the token', () => {
  let server: Server
  const open = (cacheName: string, authToken?: string) =>
    openCacheAccess({ baseUrl: server.url, cacheName, authToken }, LIMITS)
  beforeAll(async () => {
    server = await startTestServer([
      { name: 'fleet', writeTokens: [WRITE_TOKEN, ROTATED], readTokens: [READ_TOKEN] },
      { name: 'vault', isPublic: false, writeTokens: [WRITE_TOKEN, ROTATED] }
    ])
  })
  afterAll(async () => server.close())

  it('the local server goes down on demand: 503 to the API and to the binary cache, until it is switched back', async () => {
    server.setFaults({ unavailable: true })
    const api = await fetch(`${server.url}/api/v1/cache/fleet`)
    const binary = await fetch(`${server.cacheUrl('fleet')}/nix-cache-info`)
    server.setFaults(undefined)
    expect([api.status, binary.status]).toEqual([503, 503])
    expect(await api.text()).toContain('503 Service Temporarily Unavailable')
    expect((await fetch(`${server.cacheUrl('fleet')}/nix-cache-info`)).status).toBe(200)
  })

  it('a 503 past the first contact is an outage, with the cause; a server that never answers is one too', async () => {
    server.setFaults({ unavailable: true })
    const down = await open('fleet', WRITE_TOKEN)
    server.setFaults({ slowRate: 1, slowMs: 5000 })
    const started = Date.now()
    const silent = await open('fleet', WRITE_TOKEN)
    const waited = Date.now() - started
    server.setFaults(undefined)
    expect(down).toEqual({
      state: 'unavailable',
      reason: expect.stringMatching(
        /^Cachix cache info for cache fleet kept failing \(HTTP 503\) after \d+ attempts over [\d.]+ s$/
      ) as unknown
    })
    expect(silent).toEqual({ state: 'unavailable', reason: 'no answer within 0.3 s' })
    // The deadline cut the hanging request: it did not wait for the 5 s answer.
    expect(waited).toBeLessThan(4000)
  })

  it('a wrong name, or a private cache without a token, is missing: the workflow is wrong', async () => {
    expect(await open('no-such-cache', WRITE_TOKEN)).toEqual({
      state: 'missing',
      reason: expect.stringMatching(
        /^Cachix cache "no-such-cache" does not exist \(HTTP 404 on cache info\)/
      ) as unknown
    })
    expect((await open('vault')).state).toBe('missing')
  })

  it('a revoked token is rejected (401); a public cache is still read without it, a private one is not', async () => {
    expect((await open('fleet', ROTATED)).state).toBe('open')
    server.revokeToken('fleet', ROTATED)
    server.revokeToken('vault', ROTATED)
    const fleet = await open('fleet', ROTATED)
    const vault = await open('vault', ROTATED)
    expect(fleet).toMatchObject({ state: 'rejected', status: 401 })
    expect(readerOf(fleet)?.cache.uri).toBe(server.cacheUrl('fleet'))
    expect(vault).toMatchObject({ state: 'rejected', status: 401 })
    expect(readerOf(vault)).toBeUndefined()
    // The other token of the same cache still works.
    expect((await open('fleet', WRITE_TOKEN)).state).toBe('open')
  })

  it('a read-only token can pull but not push', async () => {
    const access = await open('fleet', READ_TOKEN)
    expect(access.state).toBe('read-only')
    expect(readerOf(access)?.cache.name).toBe('fleet')
  })

  it('before the final push: tries until Cachix answers again, or until the deadline', async () => {
    const options = { baseUrl: server.url, cacheName: 'fleet', authToken: WRITE_TOKEN, retryPolicy: FAST_RETRIES }
    server.setFaults({ unavailable: true })
    const tries: string[] = []
    setTimeout(() => server.setFaults(undefined), 700)
    const back = await openBefore(
      { ...options, retryPolicy: { ...FAST_RETRIES, budgetMs: 200 } },
      Date.now() + 10_000,
      a => tries.push(a.state)
    )
    expect(back.state).toBe('open')
    expect(tries.length).toBeGreaterThan(1)
    expect(tries.at(-1)).toBe('open')

    server.setFaults({ unavailable: true })
    const started = Date.now()
    const gone = await openBefore({ ...options, retryPolicy: { ...FAST_RETRIES, budgetMs: 200 } }, started + 800)
    server.setFaults(undefined)
    expect(gone.state).toBe('unavailable')
    expect(Date.now() - started).toBeLessThan(3000)
  })
})
