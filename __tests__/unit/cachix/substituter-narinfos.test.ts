import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { writeFile } from 'node:fs/promises'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { BinaryCacheNarInfos, SubstituterNarInfos } from '../../../src/cachix/substituter-narinfos.js'
import { renderNarInfo } from '../../../src/nix/format/narinfo.js'
import { READ_TOKEN, startTestServer } from '../../support/server.js'

const PATH = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-openssl-3.0.2'

const HASH = PATH.slice(11, 43)

const NARINFO = renderNarInfo({
  storePath: PATH,
  url: `nar/${HASH}.nar.zst`,
  compression: 'zstd',
  fileSize: 1234,
  narHash: `sha256:${'0'.repeat(52)}`,
  narSize: 5678,
  references: [],
  sigs: []
})

/** A substituter that answers each request with the next of `answers` (the last repeats). */
async function scripted(
  answers: { status: number; body?: string }[]
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0
  const server: HttpServer = createServer((req, res) => {
    const answer = answers[Math.min(requests++, answers.length - 1)]
    req.resume()
    res.writeHead(answer.status)
    res.end(answer.body ?? '')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise(resolve => server.close(() => resolve()))
  }
}

describe('narinfos from substituters over HTTP', () => {
  let cache: Awaited<ReturnType<typeof startTestServer>>
  beforeAll(async () => {
    cache = await startTestServer([{ name: 'nixpkgs' }, { name: 'private', isPublic: false, readTokens: [READ_TOKEN] }])
    for (const name of ['nixpkgs', 'private']) await writeFile(join(cache.dataDir, name, `${HASH}.narinfo`), NARINFO)
  })
  afterAll(async () => cache.close())

  it('reads a narinfo, and a 404 is "does not have it"', async () => {
    const source = new BinaryCacheNarInfos({ url: `${cache.cacheUrl('nixpkgs')}/` })
    expect(await source.narinfo(HASH)).toMatchObject({ storePath: PATH, fileSize: 1234, narSize: 5678 })
    expect(await source.narinfo('1123456789abcdfghijklmnpqrsvwxyz')).toBeUndefined()
  })

  it('a private cache is read with its token, as Nix sends a netrc password', async () => {
    await expect(new BinaryCacheNarInfos({ url: cache.cacheUrl('private') }).narinfo(HASH)).rejects.toThrow('HTTP 401')
    expect(
      await new BinaryCacheNarInfos({ url: cache.cacheUrl('private'), password: READ_TOKEN }).narinfo(HASH)
    ).toMatchObject({
      storePath: PATH
    })
  })

  it('a brief 5xx is asked again; a narinfo about another path is refused', async () => {
    const flaky = await scripted([{ status: 503 }, { status: 200, body: NARINFO }])
    const wrong = await scripted([{ status: 200, body: NARINFO.replace(HASH, '1123456789abcdfghijklmnpqrsvwxyz') }])
    try {
      expect(await new BinaryCacheNarInfos({ url: flaky.url }, 1).narinfo(HASH)).toMatchObject({ storePath: PATH })
      expect(flaky.requests()).toBe(2)
      await expect(new BinaryCacheNarInfos({ url: wrong.url }, 1).narinfo(HASH)).rejects.toThrow(/is about/)
    } finally {
      await flaky.close()
      await wrong.close()
    }
  })

  it('asks in order until one has it, once per path; a substituter that fails is dropped for the run with one line', async () => {
    const empty = await scripted([{ status: 404 }])
    const broken = await scripted([{ status: 500 }])
    const lines: string[] = []
    try {
      const substituters = new SubstituterNarInfos(
        [
          new BinaryCacheNarInfos({ url: broken.url }, 1),
          { url: empty.url },
          { url: 'http://127.0.0.1:1' },
          { url: cache.cacheUrl('nixpkgs') }
        ],
        { info: line => lines.push(line), warning: line => lines.push(`warning: ${line}`) }
      )
      expect(await substituters.find(HASH)).toMatchObject({ url: cache.cacheUrl('nixpkgs'), info: { storePath: PATH } })
      expect(await substituters.find(HASH)).toMatchObject({ url: cache.cacheUrl('nixpkgs') })
      expect(await substituters.narinfo('1123456789abcdfghijklmnpqrsvwxyz')).toBeUndefined()
      expect(substituters.lookups).toBe(2)
      expect(broken.requests()).toBe(3)
      expect(empty.requests()).toBe(2)
      expect(substituters.urls).toEqual([empty.url, cache.cacheUrl('nixpkgs')])
      expect(lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^substituter ${broken.url} is not asked for narinfos any more in this run: HTTP 500 after 3 attempts$`
          )
        ),
        expect.stringMatching(
          /^substituter http:\/\/127\.0\.0\.1:1 is not asked for narinfos any more in this run: .*ECONNREFUSED/
        )
      ])
      expect(substituters.describe()).toContain(`${broken.url} (not answering: HTTP 500 after 3 attempts)`)
    } finally {
      await empty.close()
      await broken.close()
    }
  })
})
