/** The flake-checks rows of the plan (`checks: true`): one per system with checks, on that system's runner. */

export interface ChecksRow {
  system: string
  runner: string
  kind: 'checks'
}

export interface ChecksPlan {
  rows: ChecksRow[]
  /** Systems with checks and no runner. */
  unmapped: string[]
}

/** `systems`: the flake's checks.<system> that hold at least one check. */
export function planChecks(systems: string[], runners: Record<string, string>): ChecksPlan {
  const plan: ChecksPlan = { rows: [], unmapped: [] }
  for (const system of [...new Set(systems)].sort()) {
    const runner = runners[system]
    if (runner === undefined) plan.unmapped.push(system)
    else plan.rows.push({ system, runner, kind: 'checks' })
  }
  return plan
}
