import * as core from '@actions/core'
import type { Reader } from '../cachix/cache-access.js'
import type { Evaluated } from '../hosts/evaluate.js'
import { derivationName } from '../nix-build/build-failures.js'
import { walkCached } from '../action/phases/cache-check.js'

/**
 * The hosts and attributes whose whole closure the cache holds, and their imports' (import from
 * derivation): they get no row. A host whose import the cache lacks keeps its row, as one whose
 * closure has a hole does, and its leg pushes the import (the planner pushed it already when it
 * could). When its imports could not be listed, what its evaluation built stands for them: such a
 * host keeps its row. Throws when the cache stops answering.
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
    if (built.length === 0 || (cached.has(evaluated.outPath) && evaluated.importsUnknown === undefined)) continue
    cached.delete(evaluated.outPath)
    core.info(
      `${evaluated.name}: its evaluation built ${built.length} derivation${built.length === 1 ? '' : 's'} that no cache had (${built.map(derivationName).join(', ')}): it keeps its leg, which pushes them`
    )
  }
  core.info(`${hosts.filter(h => cached.has(h.outPath)).length} of ${hosts.length} hosts are fully in ${cacheName}`)
  return cached
}
