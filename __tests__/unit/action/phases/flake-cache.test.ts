import { describe, expect, it } from '@jest/globals'
import { flakeCacheKey, flakeCachePaths, localFlakeDir } from '../../../../src/action/phases/flake-cache.js'

describe('flake input cache', () => {
  const lock = '{"nodes":{"root":{}},"root":"root","version":7}\n'
  it('keys on flake.lock and the system', () => {
    expect(flakeCacheKey(lock, 'x86_64-linux')).toMatch(/^nix-cachix-build-flake-inputs-x86_64-linux-[0-9a-f]{20}$/)
    expect(flakeCacheKey(lock, 'x86_64-linux')).not.toBe(flakeCacheKey(lock.replace('7', '6'), 'x86_64-linux'))
    expect(flakeCacheKey(lock, 'x86_64-linux')).not.toBe(flakeCacheKey(lock, 'aarch64-linux'))
  })
  it.each([
    ['.', '/repo'],
    ['./sub', '/repo/sub'],
    ['path:/abs/flake?dir=x', '/abs/flake'],
    ['/abs', '/abs'],
    ['github:owner/repo', undefined]
  ])('%s is local at %s', (flake, dir) => {
    expect(localFlakeDir(flake, '/repo')).toBe(dir)
  })
  it("caches Nix's fetcher cache, never the store", () => {
    expect(flakeCachePaths('/home/runner')).toEqual(['/home/runner/.cache/nix'])
  })
})
