import * as core from '@actions/core'
import type { ConfigurationKind } from '../hosts/configurations.js'
import type { EvalFailure, Evaluated } from '../hosts/evaluate.js'
import type { Finding } from '../report/finding.js'
import { renderPlanSummary } from '../report/plan-summary.js'
import { PlanOutput } from './constants.js'
import type { PlanInputs } from './inputs.js'
import type { ChecksRow } from './checks-rows.js'
import { planAttributes, planMatrix } from './matrix.js'

export interface Evaluations {
  hosts: Evaluated[]
  /** host id → its kind */
  kinds: Map<string, ConfigurationKind>
  attributes: Evaluated[]
  /** Hosts and attributes that do not evaluate. */
  failed: EvalFailure[]
  /** A row per system with flake checks (checks: true). */
  checks: ChecksRow[]
}

/** The matrix, a row per host and attribute still to build, as outputs and the job summary. */
export async function matrixPhase(
  inputs: PlanInputs,
  evaluations: Evaluations,
  cached: Set<string>,
  findings: Finding[]
): Promise<void> {
  const { hosts, kinds, attributes, failed, checks } = evaluations
  for (const finding of findings) if (finding.level === 'warning') core.warning(finding.message)
  const plan = planMatrix(
    hosts.map(h => ({ ...h, kind: kinds.get(h.name) })),
    cached,
    inputs.runners
  )
  const attributePlan = planAttributes(attributes, cached, inputs.runners)
  for (const name of plan.unmapped)
    core.warning(`host ${name} has a system with no runner: it is left out of the matrix`)
  for (const name of attributePlan.unmapped)
    core.warning(`attribute ${name} has a system with no runner: it is left out of the matrix`)
  core.setOutput(PlanOutput.Matrix, JSON.stringify({ include: [...plan.rows, ...checks, ...attributePlan.rows] }))
  core.setOutput(PlanOutput.BuildMatrix, JSON.stringify({ include: [...plan.rows, ...checks] }))
  core.setOutput(PlanOutput.PrewarmMatrix, JSON.stringify({ include: attributePlan.rows }))
  core.setOutput(PlanOutput.Hosts, JSON.stringify(plan.rows.map(r => r.host)))
  core.setOutput(PlanOutput.Attributes, JSON.stringify(attributePlan.rows.map(r => r.attribute)))
  core.setOutput(PlanOutput.BuildAny, String(plan.rows.length + checks.length > 0))
  core.setOutput(PlanOutput.PrewarmAny, String(attributePlan.rows.length > 0))
  core.setOutput(PlanOutput.Any, String(plan.rows.length + checks.length + attributePlan.rows.length > 0))
  core.setOutput(PlanOutput.CachedHosts, JSON.stringify(plan.cached))
  core.setOutput(PlanOutput.CachedAttributes, JSON.stringify(attributePlan.cached))
  core.setOutput(PlanOutput.EvalFailed, JSON.stringify(failed.map(f => f.name)))
  core.setOutput(PlanOutput.Findings, JSON.stringify(findings.map(f => ({ level: f.level, message: f.message }))))
  core.setOutput(PlanOutput.Toplevels, JSON.stringify(Object.fromEntries(hosts.map(h => [h.name, h.outPath]))))
  core.setOutput(
    PlanOutput.Imports,
    JSON.stringify(Object.fromEntries(hosts.filter(h => h.imports.length > 0).map(h => [h.name, h.imports])))
  )
  core.setOutput(PlanOutput.Systems, JSON.stringify(Object.fromEntries(hosts.map(h => [h.name, h.system]))))
  const warnings = findings.filter(f => f.level === 'warning').map(f => f.message)
  await core.summary.addRaw(renderPlanSummary(plan, attributePlan, failed, warnings)).write()
}
