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
 * from `cacheUrl`. Output paths cannot be built there (their derivations are absent), so a
 * success means everything came from the cache with a verified signature.
 */
export async function realiseInFreshStore(cacheUrl: string, publicKeys: string[], paths: string[]): Promise<Realised> {
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
      cacheUrl,
      '--option',
      'trusted-public-keys',
      publicKeys.join(' '),
      '--option',
      'require-sigs',
      'true',
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
