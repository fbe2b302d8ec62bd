import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { compressorName } from '../../src/push/upload/compressor.js'
import { expectSubstitutedWhole, nixBuild, nonce } from '../support/nix.js'
import { makePusher } from '../support/push.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

const MiB = 1024 * 1024

describe('the zstd program under memory pressure', () => {
  const before = process.env.NIX_CACHIX_BUILD_ZSTD
  beforeAll(() => {
    // Decided once per module instance: this file's engine is the program from here on.
    process.env.NIX_CACHIX_BUILD_ZSTD = 'process'
  })
  afterAll(() => {
    if (before === undefined) delete process.env.NIX_CACHIX_BUILD_ZSTD
    else process.env.NIX_CACHIX_BUILD_ZSTD = before
  })

  it('eight large incompressible paths at once, with room for two parts, all arrive (no upload waits on another)', async () => {
    const server = await startTestServer([{ name: 'pressure', writeTokens: [WRITE_TOKEN] }], { verifyNars: false })
    try {
      const tag = nonce()
      const expression = `let blob = n: derivation { name = "blob-${tag}-\${toString n}"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "head -c ${12 * MiB} /dev/urandom > $out" ]; };
        in derivation { name = "blobs-${tag}"; system = "x86_64-linux"; builder = "/bin/sh"; blobs = map blob (builtins.genList (n: n) 8); args = [ "-c" "echo $blobs > $out" ]; }`
      const [root] = await nixBuild(expression)
      const { pusher } = await makePusher({
        baseUrl: server.url,
        cacheName: 'pressure',
        authToken: WRITE_TOKEN,
        partSize: 5 * MiB,
        bufferBytes: 10 * MiB,
        jobs: 8
      })
      pusher.add([root])
      const report = await pusher.drain(90_000)
      expect(await compressorName('zstd')).toBe(
        'zstd program, long-lived, one input per upload at a time (NIX_CACHIX_BUILD_ZSTD=process)'
      )
      expect(report.leftovers).toEqual([])
      expect(report.failures).toEqual([])
      expect(report.uploaded).toBe(9)
      // Each blob went up in three 5 MiB parts, which the server joins: real Nix, checking the
      // signature and the NAR hash of each, substitutes the whole closure.
      await expectSubstitutedWhole(server, 'pressure', root)
    } finally {
      await server.close()
    }
  })
})
