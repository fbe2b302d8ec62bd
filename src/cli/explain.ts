import type { ClosureWalk } from '../cachix/closure-walk.js'
import { DEFAULT_SUBSTITUTER } from '../nix/substituters.js'

export interface PendingBuild {
  drvPath: string
  outputs: string[]
}

export interface CheckFacts {
  cache: string
  toplevel: string
  toplevelInCache: boolean
  /** The flake's git tree has uncommitted changes. */
  dirtyTree: boolean
  /** Output paths the cache does not have. */
  missingFromCache: Set<string>
  /** Why an output is excluded from pushing, if it is. */
  filtered: (path: string) => string | undefined
  /**
   * Outputs the cache lacks but counts as present upstream (what cache.nixos.org has, which
   * Cachix never stores), each with the substituter found to have it, if any.
   */
  upstream?: ReadonlyMap<string, string | undefined>
  /** Paths the cached closure needs that no cache of this machine has (the toplevel then gets rebuilt). */
  unknownPaths?: string[]
  toplevelDrv?: string
  /** What the machine switches to: toplevel (NixOS, the default), system (nix-darwin) or activation package (home-manager). */
  closureName?: string
}

export interface Explained {
  drvPath: string
  reason: string
}

/** The most likely reason each derivation would be built on this machine. */
export function explainBuilds(builds: PendingBuild[], facts: CheckFacts): Explained[] {
  const upstream = facts.upstream ?? new Map<string, string | undefined>()
  const whereUpstream = (paths: string[]): string => {
    const found = [...new Set(paths.map(p => upstream.get(p)).filter((url): url is string => url !== undefined))]
    return found.length > 0 ? found.join(' and ') : `the cache's upstream (${DEFAULT_SUBSTITUTER} for cachix.org)`
  }
  return builds.map(build => {
    const unknown = facts.unknownPaths ?? []
    if (build.drvPath === facts.toplevelDrv && unknown.length > 0) {
      const lost = unknown.filter(p => !upstream.has(p))
      if (lost.length === 0)
        return {
          drvPath: build.drvPath,
          reason: `${plural(unknown.length, 'path')} of its closure ${unknown.length === 1 ? 'is' : 'are'} only upstream of ${facts.cache}, in ${whereUpstream(unknown)}, which this machine does not substitute from, so Nix builds it instead of downloading it`
        }
      return {
        drvPath: build.drvPath,
        reason: `its closure in ${facts.cache} is incomplete (${lost.length} missing), so Nix builds it instead of downloading it`
      }
    }
    const filtered = build.outputs.map(facts.filtered).find(r => r !== undefined)
    if (filtered) return { drvPath: build.drvPath, reason: `never pushed: ${filtered}` }
    const upstreamOutputs = build.outputs.filter(o => upstream.has(o))
    if (upstreamOutputs.length > 0) {
      const where = whereUpstream(upstreamOutputs)
      return {
        drvPath: build.drvPath,
        reason: `only upstream of ${facts.cache}, in ${where} (Cachix never stores what its upstream has), and this machine does not substitute from there: add ${upstreamOutputs.some(o => upstream.get(o) !== undefined) ? 'that substituter' : DEFAULT_SUBSTITUTER} and its public key to nix.settings`
      }
    }
    const missing = build.outputs.some(o => facts.missingFromCache.has(o))
    if (!facts.toplevelInCache) {
      if (facts.dirtyTree)
        return {
          drvPath: build.drvPath,
          reason: 'your flake has uncommitted changes, so this configuration differs from anything CI built'
        }
      return {
        drvPath: build.drvPath,
        reason: `the ${facts.closureName ?? 'toplevel'} is not in ${facts.cache} yet: CI has not finished (or not pushed) this revision, or your checkout differs from what CI built`
      }
    }
    if (missing)
      return {
        drvPath: build.drvPath,
        reason: `not in ${facts.cache} although the ${facts.closureName ?? 'toplevel'} is: a push failed or was cut off (re-run the workflow, or push it from the desktop)`
      }
    return {
      drvPath: build.drvPath,
      reason: `in ${facts.cache}, but this machine does not use it: add the cache's substituter and public key to nix.settings`
    }
  })
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

/** A path the host's evaluation imports (import from derivation) whose closure the cache does not hold wholly. */
export interface MissingImport {
  path: string
  reason: string
}

/**
 * Of a host's imports, each walked against the cache, those whose closure is not whole there, and
 * why that makes a machine compile: no closure holds an import, yet evaluating the host needs it.
 */
export function explainImports(
  walks: ReadonlyMap<string, ClosureWalk>,
  facts: { cache: string; host: string }
): MissingImport[] {
  const remedy = `re-run the workflow (its leg pushes what the host's evaluation imports) or run \`nix-cachix-build build --host ${facts.host}\` on the desktop`
  const missing: MissingImport[] = []
  for (const [path, walk] of walks) {
    if (walk.complete) continue
    const lost = walk.firstMissing
    const what =
      lost === undefined || lost.path === path
        ? `not in ${facts.cache}`
        : `in ${facts.cache} but its closure is not: ${lost.path} (needed by ${lost.neededBy}) is missing`
    missing.push({
      path,
      reason: `${what}: evaluating the host reads it (import from derivation), so a machine without it builds it just to evaluate; ${remedy}`
    })
  }
  return missing
}
