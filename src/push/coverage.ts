import type { CachixClient } from '../cachix/client.js'
import type { PushFilter } from './filter.js'
import { hashPart } from '../nix/format/store-path.js'
import type { NixStore } from '../nix/store.js'

export interface Coverage {
  closure: string[]
  missing: string[]
  filtered: string[]
  /** Present / (closure size); filtered paths count as absent. */
  ratio: number
}

/** Asks the cache which paths of the closure of `roots` it lacks. */
export async function closureCoverage(
  client: CachixClient,
  store: NixStore,
  filter: PushFilter,
  roots: string[]
): Promise<Coverage> {
  const closure = await store.closure(roots)
  if (closure.length === 0) return { closure, missing: [], filtered: [], ratio: 1 }
  const absent = await client.missingHashes(closure.map(hashPart))
  const missing: string[] = []
  const filtered: string[] = []
  for (const path of closure) {
    if (!absent.has(hashPart(path))) continue
    if (filter.excluded(path) === undefined) missing.push(path)
    else filtered.push(path)
  }
  return { closure, missing, filtered, ratio: (closure.length - missing.length - filtered.length) / closure.length }
}
