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
  /** Paths the cached closure needs that no cache has (the toplevel then gets rebuilt). */
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
  return builds.map(build => {
    if (build.drvPath === facts.toplevelDrv && (facts.unknownPaths ?? []).length > 0) {
      return {
        drvPath: build.drvPath,
        reason: `its closure in ${facts.cache} is incomplete (${facts.unknownPaths?.length} missing), so Nix builds it instead of downloading it`
      }
    }
    const filtered = build.outputs.map(facts.filtered).find(r => r !== undefined)
    if (filtered) return { drvPath: build.drvPath, reason: `never pushed: ${filtered}` }
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
