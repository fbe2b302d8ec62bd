import * as core from '@actions/core'
import type { ConfigurationKind } from '../hosts/configurations.js'
import {
  attributeTargets,
  evaluateEach,
  hostTargets,
  type EvalOutcomes,
  type Evaluated,
  type EvalFailure
} from '../hosts/evaluate.js'
import { configurationNames } from '../hosts/flake.js'
import { namedHosts } from '../hosts/select.js'
import type { PlanInputs } from './inputs.js'

function logEvaluated(done: Evaluated | EvalFailure): void {
  if ('error' in done) core.info(`${done.name}: does not evaluate`)
  else core.info(`${done.name} (${done.system}): ${done.outPath}, evaluated in ${done.seconds.toFixed(1)} s`)
}

export interface EvaluatedHosts extends EvalOutcomes {
  /** host id → its kind */
  kinds: Map<string, ConfigurationKind>
}

/** Each host in its own `nix eval`, eval-jobs at a time; a host left out by `hosts` is never evaluated. */
export async function evaluateHostsPhase(inputs: PlanInputs): Promise<EvaluatedHosts> {
  const wanted = namedHosts(inputs.hosts, await configurationNames(inputs.flake, process.env))
  const started = Date.now()
  const outcome = await evaluateEach(inputs.flake, hostTargets(wanted), process.env, {
    jobs: inputs.evalJobs,
    onDone: logEvaluated
  })
  core.info(
    `Evaluated ${wanted.length} hosts in ${((Date.now() - started) / 1000).toFixed(1)} s, ${inputs.evalJobs} at a time`
  )
  return { ...outcome, kinds: new Map(wanted.map(h => [h.id, h.kind])) }
}

/** The pre-warm attributes, each evaluated like a host. */
export async function evaluateAttributesPhase(inputs: PlanInputs): Promise<EvalOutcomes> {
  return evaluateEach(inputs.flake, attributeTargets(inputs.attributes), process.env, {
    jobs: inputs.evalJobs,
    onDone: logEvaluated
  })
}
