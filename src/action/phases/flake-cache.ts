import * as cache from '@actions/cache'
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../../util/errors.js'

/** Nix's fetcher and evaluation caches (tarball cache, git cache, fetcher and eval SQLite). Not the store. */
export function flakeCachePaths(home: string = homedir()): string[] {
  return [join(home, '.cache', 'nix')]
}

const KEY_PREFIX = 'nix-cachix-build-flake-inputs'

export function flakeCacheKey(lockText: string, system: string): string {
  return `${KEY_PREFIX}-${system}-${createHash('sha256').update(lockText).digest('hex').slice(0, 20)}`
}

/** The directory of a local flake reference, or undefined for a remote one (github:…). */
export function localFlakeDir(flake: string, cwd: string): string | undefined {
  const path = flake.startsWith('path:') ? flake.slice(5).split('?')[0] : flake
  if (path.startsWith('/')) return path
  if (path === '.' || path.startsWith('./') || path.startsWith('../')) return join(cwd, path)
  return undefined
}

export interface FlakeCacheState {
  key: string
  hit: boolean
}

/** Restores the cache keyed on flake.lock. A miss or an unreachable cache service only informs or warns. */
export async function restoreFlakeCache(flake: string, system: string): Promise<FlakeCacheState | undefined> {
  const dir = localFlakeDir(flake, process.cwd())
  const lock = dir === undefined ? undefined : await readFile(join(dir, 'flake.lock'), 'utf8').catch(() => undefined)
  if (lock === undefined) {
    core.info('Flake input cache: no local flake.lock, nothing to key it on')
    return undefined
  }
  const key = flakeCacheKey(lock, system)
  if (!cache.isFeatureAvailable()) {
    core.info('Flake input cache: the Actions cache service is not available here; inputs are fetched')
    return { key, hit: false }
  }
  try {
    const restored = await cache.restoreCache(flakeCachePaths(), key, [`${KEY_PREFIX}-${system}-`])
    core.info(restored === undefined ? `Flake input cache: miss for ${key}` : `Flake input cache: restored ${restored}`)
    return { key, hit: restored === key }
  } catch (error: unknown) {
    core.warning(`Flake input cache could not be restored (inputs are fetched instead): ${errorMessage(error)}`)
    return { key, hit: false }
  }
}

export async function saveFlakeCache(state: FlakeCacheState | undefined): Promise<void> {
  if (state === undefined || state.hit || !cache.isFeatureAvailable()) return
  try {
    await cache.saveCache(flakeCachePaths(), state.key)
    core.info(`Flake input cache: saved ${state.key}`)
  } catch (error: unknown) {
    core.warning(`Flake input cache could not be saved: ${errorMessage(error)}`)
  }
}
