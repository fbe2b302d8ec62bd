import { fullPath } from './store-path.js'

/**
 * Output paths per derivation from `nix show-derivation` JSON. Keys and paths are full paths
 * up to Nix 2.31 and basenames from 2.32; both are read.
 */
export function derivationOutputsFromJson(json: unknown): Map<string, string[]> {
  const result = new Map<string, string[]>()
  const object = (json ?? {}) as Record<string, { outputs?: Record<string, { path?: string }> }>
  // 2.32+ may wrap the derivations: {"derivations": {...}, "version": …}
  const derivations =
    'derivations' in object && typeof object.derivations === 'object'
      ? (object.derivations as unknown as typeof object)
      : object
  for (const [key, drv] of Object.entries(derivations)) {
    const outputs = Object.values(drv.outputs ?? {})
      .map(o => o.path)
      .filter((p): p is string => typeof p === 'string' && p !== '')
      .map(fullPath)
    result.set(fullPath(key), outputs)
  }
  return result
}
