import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCommand, type RunResult } from '../src/util/process.js'

export interface Realised {
  store: string
  result: RunResult
}

/**
 * Realises `paths` into a brand-new store that trusts only `publicKeys` and substitutes only
 * from `cacheUrls` (a cache, and the upstream it counts as present), with max-jobs = 0: nothing
 * may be built there, so a success means everything came from the caches with a verified signature.
 */
export async function realiseInFreshStore(
  cacheUrls: string | string[],
  publicKeys: string[],
  paths: string[]
): Promise<Realised> {
  const store = await mkdtemp(join(tmpdir(), 'fresh-store-'))
  const result = await runCommand(
    'nix-store',
    [
      '--store',
      store,
      '--realise',
      ...paths,
      '--option',
      'substituters',
      [cacheUrls].flat().join(' '),
      '--option',
      'trusted-public-keys',
      publicKeys.join(' '),
      '--option',
      'require-sigs',
      'true',
      '--option',
      'max-jobs',
      '0',
      '--option',
      'narinfo-cache-negative-ttl',
      '0',
      '--option',
      'narinfo-cache-positive-ttl',
      '0'
    ],
    { okCodes: [1] }
  )
  return { store, result }
}
