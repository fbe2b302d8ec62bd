import type { ConfigurationKind } from '../hosts/configurations.js'

export interface PlannedHost {
  name: string
  system: string
  outPath: string
  /** Which output the host is in (default nixos). */
  kind?: ConfigurationKind
}

export interface MatrixRow {
  host: string
  system: string
  runner: string
  /** nixos, darwin or home: what the leg builds, for a workflow's own conditions. */
  kind: ConfigurationKind
}

export interface Plan {
  rows: MatrixRow[]
  cached: string[]
  /** Hosts whose system no runner is mapped to. */
  unmapped: string[]
}

/**
 * One row per host that still needs building, with the runner for its system. A host whose
 * toplevel is already cached gets no row, so a plan with nothing to do is an empty matrix.
 */
export function planMatrix(hosts: PlannedHost[], cachedOutPaths: Set<string>, runners: Record<string, string>): Plan {
  const plan: Plan = { rows: [], cached: [], unmapped: [] }
  for (const host of hosts) {
    if (cachedOutPaths.has(host.outPath)) plan.cached.push(host.name)
    else if (runners[host.system] === undefined) plan.unmapped.push(host.name)
    else
      plan.rows.push({ host: host.name, system: host.system, runner: runners[host.system], kind: host.kind ?? 'nixos' })
  }
  return plan
}

/** A pre-warm leg: one attribute, built on its system's runner with no host. */
export interface AttributeRow {
  attribute: string
  system: string
  runner: string
  kind: 'attribute'
}

export interface AttributePlan {
  rows: AttributeRow[]
  cached: string[]
  unmapped: string[]
}

/** One row per pre-warm attribute not yet cached, marked as an attribute row, for its system's runner. */
export function planAttributes(
  attributes: PlannedHost[],
  cachedOutPaths: Set<string>,
  runners: Record<string, string>
): AttributePlan {
  const plan: AttributePlan = { rows: [], cached: [], unmapped: [] }
  for (const attribute of attributes) {
    if (cachedOutPaths.has(attribute.outPath)) plan.cached.push(attribute.name)
    else if (runners[attribute.system] === undefined) plan.unmapped.push(attribute.name)
    else
      plan.rows.push({
        attribute: attribute.name,
        system: attribute.system,
        runner: runners[attribute.system],
        kind: 'attribute'
      })
  }
  return plan
}
