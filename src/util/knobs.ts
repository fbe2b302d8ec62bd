/**
 * The engine's test and bench knobs: environment variables no user needs, each read and
 * checked here only. The README's "Knobs" section lists them.
 *
 * - NIX_CACHIX_BUILD_STORE_ROOT: where the store's files lie on this file system when the
 *   store is a chroot's (modern-nix.sh); NARs are then read in process from there.
 * - NIX_CACHIX_BUILD_ZSTD: `process` forces the zstd program even where node:zlib has zstd
 *   (long-lived, or one per path where that cannot run); `process-per-path` forces one per path.
 * - NIX_CACHIX_BUILD_NAR: `nix-store` reads every NAR with `nix-store --dump` instead of in process.
 * - NIX_CACHIX_BUILD_HASH: `main` hashes on the main thread instead of a hash thread (to compare the two).
 * - NIX_CACHIX_BUILD_HEARTBEAT_SECONDS: seconds between the action's heartbeat lines (default 60).
 * - NIX_CACHIX_BUILD_DISK_ROOT: a directory free-disk-space treats as / (its e2e test removes the list from a copy).
 */
export type Environment = Record<string, string | undefined>

export function storeRoot(env: Environment = process.env): string {
  const root = env.NIX_CACHIX_BUILD_STORE_ROOT ?? ''
  if (root !== '' && !root.startsWith('/'))
    throw new Error(`NIX_CACHIX_BUILD_STORE_ROOT must be an absolute directory, not "${root}"`)
  return root.replace(/\/+$/, '')
}

function zstdKnob(env: Environment): string {
  const value = env.NIX_CACHIX_BUILD_ZSTD ?? ''
  if (value !== '' && value !== 'process' && value !== 'process-per-path')
    throw new Error(`NIX_CACHIX_BUILD_ZSTD may only be "process" or "process-per-path", not "${value}"`)
  return value
}

export function forcedZstdProcess(env: Environment = process.env): boolean {
  return zstdKnob(env) !== ''
}

export function forcedZstdPerPath(env: Environment = process.env): boolean {
  return zstdKnob(env) === 'process-per-path'
}

export function hashOnMainThread(env: Environment = process.env): boolean {
  const value = env.NIX_CACHIX_BUILD_HASH ?? ''
  if (value !== '' && value !== 'main') throw new Error(`NIX_CACHIX_BUILD_HASH may only be "main", not "${value}"`)
  return value === 'main'
}

export function heartbeatMs(env: Environment = process.env): number {
  const text = env.NIX_CACHIX_BUILD_HEARTBEAT_SECONDS
  if (text === undefined || text === '') return 60_000
  const seconds = Number(text)
  if (!Number.isFinite(seconds) || seconds < 1)
    throw new Error(`NIX_CACHIX_BUILD_HEARTBEAT_SECONDS must be a number of seconds (1 or more), not "${text}"`)
  return seconds * 1000
}

export function narFromNixStore(env: Environment = process.env): boolean {
  const value = env.NIX_CACHIX_BUILD_NAR ?? ''
  if (value !== '' && value !== 'nix-store')
    throw new Error(`NIX_CACHIX_BUILD_NAR may only be "nix-store", not "${value}"`)
  return value === 'nix-store'
}

export function diskRoot(env: Environment = process.env): string {
  const root = env.NIX_CACHIX_BUILD_DISK_ROOT ?? ''
  if (root === '') return '/'
  if (!root.startsWith('/')) throw new Error(`NIX_CACHIX_BUILD_DISK_ROOT must be an absolute directory, not "${root}"`)
  return root
}
