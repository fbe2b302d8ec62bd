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

/** Rows for what is neither cached nor of a system without a runner. */
function planRows<R>(
  items: PlannedHost[],
  cachedOutPaths: Set<string>,
  runners: Record<string, string>,
  row: (item: PlannedHost, runner: string) => R
): { rows: R[]; cached: string[]; unmapped: string[] } {
  const plan: { rows: R[]; cached: string[]; unmapped: string[] } = { rows: [], cached: [], unmapped: [] }
  for (const item of items) {
    if (cachedOutPaths.has(item.outPath)) plan.cached.push(item.name)
    else if (runners[item.system] === undefined) plan.unmapped.push(item.name)
    else plan.rows.push(row(item, runners[item.system]))
  }
  return plan
}

/**
 * One row per host that still needs building, with the runner for its system. A host whose
 * toplevel is already cached gets no row, so a plan with nothing to do is an empty matrix.
 */
export function planMatrix(hosts: PlannedHost[], cachedOutPaths: Set<string>, runners: Record<string, string>): Plan {
  return planRows(hosts, cachedOutPaths, runners, (host, runner) => ({
    host: host.name,
    system: host.system,
    runner,
    kind: host.kind ?? 'nixos'
  }))
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
  return planRows(attributes, cachedOutPaths, runners, (attribute, runner) => ({
    attribute: attribute.name,
    system: attribute.system,
    runner,
    kind: 'attribute' as const
  }))
}
