import { describe, expect, it } from '@jest/globals'
import {
  forcedZstdPerPath,
  forcedZstdProcess,
  hashOnMainThread,
  heartbeatMs,
  narFromNixStore,
  storeRoot
} from '../../../src/util/knobs.js'

describe('test and bench knobs', () => {
  it.each([
    [{}, '', false, false, false, false, 60_000],
    [{ NIX_CACHIX_BUILD_STORE_ROOT: '/opt/nix-sid/' }, '/opt/nix-sid', false, false, false, false, 60_000],
    [
      { NIX_CACHIX_BUILD_ZSTD: 'process', NIX_CACHIX_BUILD_NAR: 'nix-store', NIX_CACHIX_BUILD_HEARTBEAT_SECONDS: '2' },
      '',
      true,
      false,
      true,
      false,
      2000
    ],
    [{ NIX_CACHIX_BUILD_ZSTD: 'process-per-path', NIX_CACHIX_BUILD_HASH: 'main' }, '', true, true, false, true, 60_000]
  ])('%j', (env, root, zstdProcess, zstdPerPath, nixStore, hashMain, heartbeat) => {
    expect(storeRoot(env)).toBe(root)
    expect(forcedZstdProcess(env)).toBe(zstdProcess)
    expect(forcedZstdPerPath(env)).toBe(zstdPerPath)
    expect(narFromNixStore(env)).toBe(nixStore)
    expect(hashOnMainThread(env)).toBe(hashMain)
    expect(heartbeatMs(env)).toBe(heartbeat)
  })

  it.each([
    [
      () => storeRoot({ NIX_CACHIX_BUILD_STORE_ROOT: 'relative' }),
      /NIX_CACHIX_BUILD_STORE_ROOT must be an absolute directory, not "relative"/
    ],
    [
      () => forcedZstdProcess({ NIX_CACHIX_BUILD_ZSTD: 'zlib' }),
      /NIX_CACHIX_BUILD_ZSTD may only be "process" or "process-per-path", not "zlib"/
    ],
    [
      () => hashOnMainThread({ NIX_CACHIX_BUILD_HASH: 'worker' }),
      /NIX_CACHIX_BUILD_HASH may only be "main", not "worker"/
    ],
    [
      () => narFromNixStore({ NIX_CACHIX_BUILD_NAR: 'dump' }),
      /NIX_CACHIX_BUILD_NAR may only be "nix-store", not "dump"/
    ],
    [
      () => heartbeatMs({ NIX_CACHIX_BUILD_HEARTBEAT_SECONDS: 'soon' }),
      /NIX_CACHIX_BUILD_HEARTBEAT_SECONDS must be a number of seconds \(1 or more\), not "soon"/
    ],
    [() => heartbeatMs({ NIX_CACHIX_BUILD_HEARTBEAT_SECONDS: '0' }), /not "0"/]
  ])('a bad value is refused: %#', (read, message) => {
    expect(read).toThrow(message)
  })
})
