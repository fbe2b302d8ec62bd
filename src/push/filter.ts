import { baseName } from '../nix/format/store-path.js'

// Derivations are build recipes, not what machines download; installer self-test paths
// (e.g. `self-test-bash-<time>` from the Nix installer) change every run and only waste space.
const DEFAULT_EXCLUDES = [/\.drv$/, /^[a-z0-9]{32}-(nix-installer-)?self-test-/]

export interface PushFilter {
  /** The reason a path is not pushed, or undefined when it is pushed. */
  excluded(path: string): string | undefined
}

export function makePushFilter(userPattern?: RegExp, defaults: RegExp[] = DEFAULT_EXCLUDES): PushFilter {
  return {
    excluded(path: string): string | undefined {
      const name = baseName(path)
      for (const pattern of defaults) if (pattern.test(name)) return `excluded by default (${pattern.source})`
      if (userPattern && userPattern.test(path)) return `matches push-filter ${userPattern.source}`
      return undefined
    }
  }
}
