import * as core from '@actions/core'
import type { Reader } from '../cachix/cache-access.js'
import type { Evaluated } from '../hosts/evaluate.js'
import { derivationName } from '../nix-build/build-failures.js'
import { walkCached } from '../action/phases/cache-check.js'

/**
 * The hosts and attributes whose whole closure the cache holds: they get no row. Import from
 * derivation that no cache had was built here, on a runner that is then thrown away: such a
 * host keeps its row although its closure is cached, and its leg pushes what its own evaluation
 * builds, so that no machine builds it again just to evaluate. Throws when the cache stops answering.
 */
export async function planCacheCheck(
  reader: Reader,
  cacheName: string,
  hosts: Evaluated[],
  attributes: Evaluated[]
): Promise<Set<string>> {
  const cached = await walkCached(reader, [...hosts, ...attributes])
  for (const evaluated of [...hosts, ...attributes]) {
    const built = evaluated.builtWhileEvaluating
    if (built.length === 0 || !cached.delete(evaluated.outPath)) continue
    core.info(
      `${evaluated.name}: its evaluation built ${built.length} derivation${built.length === 1 ? '' : 's'} that no cache had (${built.map(derivationName).join(', ')}): it keeps its leg, which pushes them`
    )
  }
  core.info(`${hosts.filter(h => cached.has(h.outPath)).length} of ${hosts.length} hosts are fully in ${cacheName}`)
  return cached
}
