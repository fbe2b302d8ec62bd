export interface HostSelection {
  hosts: string[]
  /** Hosts of other systems, left to the other legs. */
  otherSystems: string[]
}

/** Picks the hosts of this leg: the named ones, or every host whose system is this leg's (null: not evaluated). */
export function selectHosts(
  systems: Record<string, string | null>,
  requested: string[],
  system: string
): HostSelection {
  const all = Object.keys(systems).sort()
  if (requested.length > 0) {
    const unknown = requested.filter(h => !(h in systems))
    if (unknown.length > 0) {
      throw new Error(
        `host${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not found in the flake (it has: ${all.join(', ') || 'none'})`
      )
    }
    return { hosts: [...new Set(requested)], otherSystems: all.filter(h => !requested.includes(h)) }
  }
  return { hosts: all.filter(h => systems[h] === system), otherSystems: all.filter(h => systems[h] !== system) }
}
