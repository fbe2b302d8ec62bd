/** Nix's default substituter, and the upstream cachix.org counts as present. */
export const DEFAULT_SUBSTITUTER = 'https://cache.nixos.org'

/** A substituter a host declares, with the key set it came with. */
export interface HostCaches {
  substituters: string[]
  trustedPublicKeys: string[]
}

/** What identifies a cache: its URL without query string (`?priority=20` tunes it, not names it) or trailing slash. */
export function substituterIdentity(url: string): string {
  const query = url.indexOf('?')
  return (query < 0 ? url : url.slice(0, query)).replace(/\/+$/, '')
}

/**
 * The hosts' substituters and keys, merged: every host's `substituters` and `extra-substituters`
 * in order, query strings kept as the host wrote them, each cache once (the first spelling wins),
 * and none the job already has from its own caches.
 */
export function mergeHostCaches(hosts: HostCaches[], alreadyUsed: string[] = []): HostCaches {
  const seen = new Set(alreadyUsed.map(substituterIdentity))
  const substituters: string[] = []
  for (const url of hosts.flatMap(h => h.substituters)) {
    const identity = substituterIdentity(url.trim())
    if (identity === '' || seen.has(identity)) continue
    seen.add(identity)
    substituters.push(url.trim())
  }
  const keys = [
    ...new Set(
      hosts
        .flatMap(h => h.trustedPublicKeys)
        .map(k => k.trim())
        .filter(k => k !== '')
    )
  ]
  return { substituters, trustedPublicKeys: keys }
}

/** The address of a substituter's /nix-cache-info, or undefined for a store that is not reached over HTTP (local, daemon, s3, ssh). */
export function cacheInfoUrl(substituter: string): string | undefined {
  const base = substituterIdentity(substituter)
  if (!/^https?:\/\//i.test(base)) return undefined
  return `${base}/nix-cache-info`
}

export type Probe = (url: string, timeoutMs: number) => Promise<string | undefined>

export interface ProbeOutcome {
  reachable: string[]
  /** substituter → why it was dropped */
  dropped: Map<string, string>
}

/**
 * Asks every HTTP substituter for /nix-cache-info at once, each within `timeoutMs`. `probe`
 * returns undefined when the cache answered, else the reason. Non-HTTP stores are kept untested.
 */
export async function probeSubstituters(
  substituters: string[],
  timeoutMs: number,
  probe: Probe
): Promise<ProbeOutcome> {
  const verdicts = await Promise.all(
    substituters.map(async url => {
      const info = cacheInfoUrl(url)
      return info === undefined ? undefined : probe(info, timeoutMs)
    })
  )
  const outcome: ProbeOutcome = { reachable: [], dropped: new Map() }
  substituters.forEach((url, i) => {
    const reason = verdicts[i]
    if (reason === undefined) outcome.reachable.push(url)
    else outcome.dropped.set(url, reason)
  })
  return outcome
}

/** The `substituters` of a rendered `nix config show` (extra-substituters already merged into it by Nix). */
export function substitutersInConfig(config: string): string[] {
  const line = config.split('\n').find(l => /^substituters\s*=/.test(l))
  if (line === undefined) return []
  return line
    .slice(line.indexOf('=') + 1)
    .split(/\s+/)
    .filter(url => url !== '')
}

/**
 * The HTTP(S) caches among `substituters` whose narinfos can be read, each once (its query
 * string dropped: `?priority=` tunes Nix, not the URL), without those in `exclude`.
 */
export function narinfoSubstituters(substituters: string[], exclude: string[] = []): string[] {
  const seen = new Set(exclude.map(substituterIdentity))
  const found: string[] = []
  for (const url of substituters) {
    const identity = substituterIdentity(url.trim())
    if (!/^https?:\/\//i.test(identity) || seen.has(identity)) continue
    seen.add(identity)
    found.push(identity)
  }
  return found
}
