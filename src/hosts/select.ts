import { allHosts, resolveHosts, type ConfigurationNames, type Host } from './configurations.js'

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

/**
 * The hosts a planner with `hosts` set evaluates: the named ones, in id order (every host when
 * none is named). A name that is not there, or is there twice, fails in one line.
 */
export function namedHosts(references: string[], names: ConfigurationNames): Host[] {
  const named = resolveHosts(references, names).map(h => h.id)
  const all = allHosts(names)
  return references.length > 0 ? all.filter(h => named.includes(h.id)) : all
}
