import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { CachixClient } from '../../src/cachix/client.js'
import { walkClosure } from '../../src/cachix/closure-walk.js'
import { hashPart } from '../../src/nix/format/store-path.js'
import { chainExpression, nixBuild, nonce, realiseInFreshStore } from '../support/nix.js'
import { makePusher } from '../support/push.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

type Server = Awaited<ReturnType<typeof startTestServer>>

/** A hash no cache has; the fleet cache counts it present upstream from its fixed set. */
const LISTED = '0123456789abcdfghijklmnpqrsvwxyz'

async function status(method: 'GET' | 'HEAD', url: string): Promise<number> {
  return (await fetch(url, { method })).status
}

describe('the local server filters upstream paths on every endpoint, as cachix.org does', () => {
  let nixpkgs: Server
  let server: Server
  let client: CachixClient
  let base: string
  let lib: string
  let app: string
  beforeAll(async () => {
    // The upstream: a binary cache with its own key, as cache.nixos.org is to cachix.org.
    nixpkgs = await startTestServer([{ name: 'nixpkgs', writeTokens: [WRITE_TOKEN] }])
    server = await startTestServer([
      { name: 'fleet', writeTokens: [WRITE_TOKEN], upstreamUrl: nixpkgs.cacheUrl('nixpkgs'), upstreamHashes: [LISTED] }
    ])
    client = new CachixClient({ baseUrl: server.url, cacheName: 'fleet', authToken: WRITE_TOKEN })
    const expression = chainExpression(nonce())
    ;[[base], [lib], [app]] = await Promise.all(['base', 'lib', 'app'].map(attr => nixBuild(expression, attr)))
    const upstream = await makePusher({ baseUrl: nixpkgs.url, cacheName: 'nixpkgs', authToken: WRITE_TOKEN })
    upstream.pusher.add([base])
    expect((await upstream.pusher.drain()).uploaded).toBe(1)
  })
  afterAll(async () => {
    await server.close()
    await nixpkgs.close()
  })

  it('the bulk query counts what the upstream has (asked over HTTP) and the fixed set as present', async () => {
    expect(await client.missingHashes([base, lib, app].map(hashPart).concat(LISTED))).toEqual(
      new Set([hashPart(lib), hashPart(app)])
    )
  })

  it('GET and HEAD narinfo, on the API and on the binary cache, say 404: the cache holds only what was pushed', async () => {
    for (const hash of [hashPart(base), LISTED]) {
      expect(await client.narinfo(hash)).toBeUndefined()
      for (const method of ['GET', 'HEAD'] as const) {
        expect(await status(method, `${server.url}/api/v1/cache/fleet/${hash}.narinfo`)).toBe(404)
        expect(await status(method, `${server.cacheUrl('fleet')}/${hash}.narinfo`)).toBe(404)
      }
    }
    expect(await status('GET', `${nixpkgs.cacheUrl('nixpkgs')}/${hashPart(base)}.narinfo`)).toBe(200)
  })

  it('a push uploads only what the upstream lacks, and a reference upstream is no hole in the closure', async () => {
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'fleet', authToken: WRITE_TOKEN })
    pusher.add([app])
    expect(await pusher.drain()).toMatchObject({ uploaded: 2, skippedPresent: 1, failed: 0 })
    const held = (await readdir(join(server.dataDir, 'fleet'))).filter(f => f.endsWith('.narinfo')).sort()
    expect(held).toEqual([`${hashPart(app)}.narinfo`, `${hashPart(lib)}.narinfo`].sort())
    expect(server.stats.incompleteClosures).toEqual([])
    expect(await walkClosure(client, [app])).toEqual({
      complete: true,
      checked: 3,
      upstream: 1,
      firstMissing: undefined
    })
  })

  it('Nix substitutes the closure from the cache and its upstream together, building nothing; from the cache alone it cannot', async () => {
    const keys = [...server.publicKeys('fleet'), ...nixpkgs.publicKeys('nixpkgs')]
    const both = await realiseInFreshStore([server.cacheUrl('fleet'), nixpkgs.cacheUrl('nixpkgs')], keys, [app])
    expect(both.result).toMatchObject({ code: 0 })
    const alone = await realiseInFreshStore(server.cacheUrl('fleet'), keys, [app])
    expect(alone.result.code).not.toBe(0)
  })
})
