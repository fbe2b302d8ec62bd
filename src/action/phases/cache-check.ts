import * as core from '@actions/core'
import type { Reader } from '../../cachix/cache-access.js'
import { describeWalk, walkTargets } from '../../cachix/closure-walk.js'
import type { HostInfo } from '../../hosts/flake.js'
import { errorMessage } from '../../util/errors.js'
import type { Inputs } from '../inputs.js'
import type { CacheSetup } from './cachix.js'

/** What the cache must hold for a host to count as whole: its output, and what its evaluation imports. */
export interface CacheTarget {
  name: string
  outPath: string
  imports?: string[]
}

/**
 * Which of `targets` the cache holds with their whole closure and their imports' (the outPaths of
 * those it does), each logged with what the walk found (`note` added to those that are). An import
 * the cache lacks is a hole in the host as a missing runtime path is. Throws when the cache stops answering.
 */
export async function walkCached(reader: Reader, targets: CacheTarget[], note = ''): Promise<Set<string>> {
  const cached = new Set<string>()
  // Cached means the whole closure is there: a toplevel whose references were lost would
  // otherwise be skipped on every run while each machine builds what is missing.
  const walked = await walkTargets(reader.client, targets)
  targets.forEach((target, i) => {
    const { walk, imports } = walked[i]
    const lacking = imports.filter(([, imported]) => !imported.complete)
    const whole = walk.complete && lacking.length === 0
    if (whole) cached.add(target.outPath)
    core.info(`${target.name}: ${describeWalk(target.outPath, walk)}${whole ? note : ''}`)
    for (const [path, imported] of lacking)
      core.info(`${target.name}: its evaluation imports ${describeWalk(path, imported)}`)
  })
  return cached
}

/** The toplevels whose whole closure is in the cache already: those hosts are not built. */
export async function cacheCheckPhase(inputs: Inputs, cache: CacheSetup, hosts: HostInfo[]): Promise<Set<string>> {
  if (!inputs.skipCached || hosts.length === 0) return new Set()
  if (cache.reader === undefined) {
    if (inputs.cachix !== undefined) core.info(`${inputs.cachix} cannot be read: every host is built`)
    return new Set()
  }
  try {
    return await walkCached(
      cache.reader,
      hosts.map(h => ({ name: h.id, outPath: h.outPath, imports: h.imports })),
      '; not building it'
    )
  } catch (error: unknown) {
    // An outage that began after the cache was opened: building more is better than not building.
    core.warning(`skip-cached: ${inputs.cachix} could not be read (${errorMessage(error)}), so every host is built`)
    return new Set()
  }
}
