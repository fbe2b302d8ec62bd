/**
 * The engine's test and bench knobs: environment variables no user needs, each read and
 * checked here only. docs/development.md lists them under "Knobs".
 *
 * - NIX_CACHIX_BUILD_STORE_ROOT: where the store's files lie on this file system when the
 *   store is a chroot's (modern-nix.sh); NARs are then read in process from there.
 * - NIX_CACHIX_BUILD_ZSTD: `process` forces the zstd program even where node:zlib has zstd
 *   (long-lived, or one per path where that cannot run); `process-per-path` forces one per path.
 * - NIX_CACHIX_BUILD_NAR: `nix-store` reads every NAR with `nix-store --dump` instead of in process.
 * - NIX_CACHIX_BUILD_HASH: `main` hashes on the main thread instead of a hash thread (to compare the two).
 * - NIX_CACHIX_BUILD_HEARTBEAT_SECONDS: seconds between the action's heartbeat lines (default 60).
 * - NIX_CACHIX_BUILD_DISK_ROOT: a directory free-disk-space treats as / (its e2e test removes the list from a copy).
 * - NIX_CACHIX_BUILD_RETRY_SCALE: a factor (above 0, at most 1) on every wait of the Cachix retries and on the
 *   first contact's limits, so an outage test waits milliseconds where the field waits seconds.
 */
export type Environment = Record<string, string | undefined>

/** An absolute directory, or '' when the knob is not set. */
function directory(env: Environment, name: string): string {
  const dir = env[name] ?? ''
  if (dir !== '' && !dir.startsWith('/')) throw new Error(`${name} must be an absolute directory, not "${dir}"`)
  return dir
}

/** The knob's value, one of `values`, or '' when it is not set. */
function oneOf(env: Environment, name: string, values: string[]): string {
  const set = env[name] ?? ''
  if (set !== '' && !values.includes(set))
    throw new Error(`${name} may only be ${values.map(v => `"${v}"`).join(' or ')}, not "${set}"`)
  return set
}

/** True when the knob is set to `value`, its only value. */
function switchedTo(env: Environment, name: string, value: string): boolean {
  return oneOf(env, name, [value]) === value
}

export function storeRoot(env: Environment = process.env): string {
  return directory(env, 'NIX_CACHIX_BUILD_STORE_ROOT').replace(/\/+$/, '')
}

/** `NIX_CACHIX_BUILD_ZSTD`: '' (unset), or which zstd program the pusher must use. */
export function zstdKnob(env: Environment = process.env): string {
  return oneOf(env, 'NIX_CACHIX_BUILD_ZSTD', ['process', 'process-per-path'])
}

export function forcedZstdProcess(env: Environment = process.env): boolean {
  return zstdKnob(env) !== ''
}

export function forcedZstdPerPath(env: Environment = process.env): boolean {
  return zstdKnob(env) === 'process-per-path'
}

export function hashOnMainThread(env: Environment = process.env): boolean {
  return switchedTo(env, 'NIX_CACHIX_BUILD_HASH', 'main')
}

/** The knob's number, which `ok` accepts (`what` says which), or `fallback` when it is not set. */
function numberKnob(
  env: Environment,
  name: string,
  fallback: number,
  ok: (n: number) => boolean,
  what: string
): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || !ok(value)) throw new Error(`${name} must be ${what}, not "${text}"`)
  return value
}

export function heartbeatMs(env: Environment = process.env): number {
  const seconds = numberKnob(
    env,
    'NIX_CACHIX_BUILD_HEARTBEAT_SECONDS',
    60,
    s => s >= 1,
    'a number of seconds (1 or more)'
  )
  return seconds * 1000
}

export function narFromNixStore(env: Environment = process.env): boolean {
  return switchedTo(env, 'NIX_CACHIX_BUILD_NAR', 'nix-store')
}

export function diskRoot(env: Environment = process.env): string {
  return directory(env, 'NIX_CACHIX_BUILD_DISK_ROOT') || '/'
}

export function retryScale(env: Environment = process.env): number {
  return numberKnob(env, 'NIX_CACHIX_BUILD_RETRY_SCALE', 1, s => s > 0 && s <= 1, 'a number above 0 and at most 1')
}
