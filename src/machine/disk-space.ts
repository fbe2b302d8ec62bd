/**
 * What `free-disk-space` removes on a GitHub-hosted Ubuntu runner: preinstalled toolchains a Nix
 * build never uses, and nothing else. docs/how-it-works.md lists the same entries.
 */
export const REMOVED_TOOLCHAINS: { what: string; path: string }[] = [
  { what: '.NET', path: '/usr/share/dotnet' },
  { what: 'Android SDK', path: '/usr/local/lib/android' },
  { what: 'GHC', path: '/opt/ghc' },
  { what: 'ghcup', path: '/usr/local/.ghcup' },
  { what: 'CodeQL', path: '/opt/hostedtoolcache/CodeQL' },
  { what: 'Swift', path: '/usr/share/swift' }
]

/** The paths to remove, under `root` (/ on a runner; a directory standing in for it in tests). */
export function removalPaths(root: string): string[] {
  const base = root.replace(/\/+$/, '')
  return REMOVED_TOOLCHAINS.map(t => `${base}${t.path}`)
}

/** Whether this runner is one the list was made for; elsewhere nothing is removed. */
export function mayFreeDisk(
  runnerEnvironment: string | undefined,
  runnerOs: string | undefined
): { ok: true } | { ok: false; why: string } {
  if (runnerEnvironment !== 'github-hosted')
    return {
      ok: false,
      why: `RUNNER_ENVIRONMENT is ${runnerEnvironment === undefined || runnerEnvironment === '' ? 'not set' : `"${runnerEnvironment}"`}, not github-hosted: this runner's software is not the hosted image's, so nothing is removed`
    }
  if (runnerOs !== undefined && runnerOs !== 'Linux')
    return { ok: false, why: `the removal list is for GitHub-hosted Ubuntu, and this runner is ${runnerOs}` }
  return { ok: true }
}

export interface Filesystem {
  /** A directory on it: / or /mnt. */
  mount: string
  /** Its file system's id (statfs type and device are not enough across bind mounts, so the caller's own). */
  device: number
  freeBytes: number
}

/**
 * Nix's build-dir: the candidate on the file system with the most free space, when that is not
 * the root's (hosted runners have a second, larger disk at /mnt). Undefined keeps Nix's default.
 */
export function chooseBuildDir(root: Filesystem, others: Filesystem[]): string | undefined {
  let best = root
  for (const fs of others) if (fs.device !== root.device && fs.freeBytes > best.freeBytes) best = fs
  return best === root ? undefined : best.mount
}
