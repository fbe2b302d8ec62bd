import * as core from '@actions/core'
import { describeWalk, walkEach } from '../cachix/closure-walk.js'
import { evaluateAttributes, evaluateHosts, type EvalFailure, type Evaluated } from '../hosts/evaluate.js'
import { configurationNames } from '../hosts/flake.js'
import type { ConfigurationKind } from '../hosts/configurations.js'
import { namedHosts } from '../hosts/select.js'
import { renderPlanSummary } from '../report/plan-summary.js'
import { configurePlanNix } from './nix-setup.js'
import { ensureNix } from '../nix/install.js'
import { STEP_LOG } from '../action/phases/step-log.js'
import { derivationName } from '../nix-build/build-failures.js'
import { getPlanInputs } from './inputs.js'
import { planAttributes, planMatrix } from './matrix.js'
import { planReader, walkFailed, type PlanFinding } from './cache-outage.js'
import { errorMessage } from '../util/errors.js'

function logEvaluated(done: Evaluated | EvalFailure): void {
  if ('error' in done) core.info(`${done.name}: does not evaluate`)
  else core.info(`${done.name} (${done.system}): ${done.outPath}, evaluated in ${done.seconds.toFixed(1)} s`)
}

/** Evaluates the flake once and emits the build matrix, leaving out hosts already cached. */
export async function run(): Promise<void> {
  let restoreNix: (() => Promise<void>) | undefined
  try {
    const inputs = getPlanInputs()
    const nix = await core.group('Nix', () => ensureNix(inputs.nixVersion, true, process.env, STEP_LOG))
    if (nix.installedBin !== undefined) core.addPath(nix.installedBin)
    const nixSetup = await core.group('Configure Nix', () => configurePlanNix(inputs, process.env))
    restoreNix = nixSetup.restore
    let kinds = new Map<string, ConfigurationKind>()
    const { hosts, failed } = await core.group('Evaluate hosts', async () => {
      const names = await configurationNames(inputs.flake, process.env)
      // A host left out by `hosts` is never evaluated.
      const wanted = namedHosts(inputs.hosts, names)
      kinds = new Map(wanted.map(h => [h.id, h.kind]))
      const started = Date.now()
      const outcome = await evaluateHosts(inputs.flake, wanted, inputs.evalJobs, process.env, logEvaluated)
      core.info(
        `Evaluated ${wanted.length} hosts in ${((Date.now() - started) / 1000).toFixed(1)} s, ${inputs.evalJobs} at a time`
      )
      return { hosts: outcome.evaluated, failed: outcome.failed }
    })
    const prewarm =
      inputs.attributes.length === 0
        ? { evaluated: [], failed: [] }
        : await core.group('Evaluate pre-warm attributes', () =>
            evaluateAttributes(inputs.flake, inputs.attributes, inputs.evalJobs, process.env, logEvaluated)
          )
    failed.push(...prewarm.failed)
    const findings: PlanFinding[] = failed.map(f => ({
      level: 'error' as const,
      message: `${inputs.attributes.includes(f.name) ? 'attribute' : 'host'} ${f.name} does not evaluate, so it has no row:\n${f.error}`
    }))
    for (const finding of findings) core.error(finding.message)
    const cached = new Set<string>()
    const cacheName = inputs.cachix ?? ''
    // During an outage (or with a private cache's token rejected) the plan cannot know what is cached: every host gets a row.
    const client = nixSetup.cache ? planReader(cacheName, nixSetup.cache, findings) : undefined
    if (client && inputs.skipCached) {
      const check = core.group('Check the cache', async () => {
        // A host is cached only when its toplevel's whole closure is (caches lose paths to GC).
        const walks = await walkEach(
          client,
          [...hosts, ...prewarm.evaluated].map(h => h.outPath)
        )
        for (const h of hosts) {
          const walk = walks.get(h.outPath)
          if (walk === undefined) continue
          if (walk.complete) cached.add(h.outPath)
          core.info(`${h.name}: ${describeWalk(h.outPath, walk)}`)
        }
        for (const a of prewarm.evaluated) {
          const walk = walks.get(a.outPath)
          if (walk?.complete) cached.add(a.outPath)
          if (walk) core.info(`${a.name}: ${describeWalk(a.outPath, walk)}`)
        }
        // Import from derivation that no cache had was built here, on a runner that is thrown away:
        // such a host keeps its leg although its closure is cached, and the leg pushes what its own
        // evaluation builds, so that no machine builds it again just to evaluate.
        for (const evaluated of [...hosts, ...prewarm.evaluated]) {
          const built = evaluated.builtWhileEvaluating
          if (built.length === 0 || !cached.delete(evaluated.outPath)) continue
          core.info(
            `${evaluated.name}: its evaluation built ${built.length} derivation${built.length === 1 ? '' : 's'} that no cache had (${built.map(derivationName).join(', ')}): it keeps its leg, which pushes them`
          )
        }
        core.info(
          `${[...hosts].filter(h => cached.has(h.outPath)).length} of ${hosts.length} hosts are fully in ${inputs.cachix}`
        )
      })
      await check.catch((error: unknown) => walkFailed(cacheName, error, cached, findings))
    }
    for (const finding of findings) if (finding.level === 'warning') core.warning(finding.message)
    const plan = planMatrix(
      hosts.map(h => ({ ...h, kind: kinds.get(h.name) })),
      cached,
      inputs.runners
    )
    const attributePlan = planAttributes(prewarm.evaluated, cached, inputs.runners)
    for (const name of plan.unmapped)
      core.warning(`host ${name} has a system with no runner: it is left out of the matrix`)
    for (const name of attributePlan.unmapped)
      core.warning(`attribute ${name} has a system with no runner: it is left out of the matrix`)
    core.setOutput('matrix', JSON.stringify({ include: [...plan.rows, ...attributePlan.rows] }))
    core.setOutput('hosts', JSON.stringify(plan.rows.map(r => r.host)))
    core.setOutput('attributes', JSON.stringify(attributePlan.rows.map(r => r.attribute)))
    core.setOutput('any', String(plan.rows.length + attributePlan.rows.length > 0))
    core.setOutput('cached-hosts', JSON.stringify(plan.cached))
    core.setOutput('cached-attributes', JSON.stringify(attributePlan.cached))
    core.setOutput('eval-failed', JSON.stringify(failed.map(f => f.name)))
    core.setOutput('findings', JSON.stringify(findings))
    // What a build job on the head passes to diff-base, so the base is evaluated once, here.
    core.setOutput('toplevels', JSON.stringify(Object.fromEntries(hosts.map(h => [h.name, h.outPath]))))
    await core.summary
      .addRaw(
        renderPlanSummary(
          plan,
          attributePlan,
          failed,
          findings.filter(f => f.level === 'warning').map(f => f.message)
        )
      )
      .write()
  } catch (error: unknown) {
    core.setFailed(errorMessage(error))
  } finally {
    await restoreNix?.().catch((error: unknown) =>
      core.warning(`could not take the planner's settings out of nix.conf again: ${errorMessage(error)}`)
    )
  }
}
