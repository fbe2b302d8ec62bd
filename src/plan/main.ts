import * as core from '@actions/core'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setupCachix, type CacheSetup } from '../action/phases/cachix.js'
import { cleanUp } from '../action/phases/clean-up.js'
import { configureNix } from '../action/phases/configure-nix.js'
import { groupIf } from '../action/phases/group.js'
import { nixPhase } from '../action/phases/nix.js'
import { nixConfPath } from '../nix/conf/file.js'
import { workFiles } from '../nix-build/work-dir.js'
import { planTroubleFindings, walkFailed } from '../report/cache-trouble.js'
import type { Finding } from '../report/finding.js'
import { errorMessage } from '../util/errors.js'
import { checkSystems } from '../hosts/flake-checks.js'
import { planCacheCheck } from './cache-check.js'
import { planChecks } from './checks-rows.js'
import { evaluateAttributesPhase, evaluateHostsPhase } from './evaluate.js'
import { getPlanInputs, type PlanInputs } from './inputs.js'
import { matrixPhase } from './outputs.js'
import { pushEvaluationPhase, wantsEvaluationPush } from './push.js'

/** What the planner leaves in nix.conf and on disk, for the clean-up. */
interface Leftovers {
  workDir: string
  confPath: string
}

/** Evaluates the flake once and emits the build matrix, leaving out hosts already cached. */
export async function run(): Promise<void> {
  const leftovers: Leftovers = { workDir: '', confPath: '' }
  try {
    const inputs = getPlanInputs()
    await core.group('Nix', () => nixPhase({ nixVersion: inputs.nixVersion, installNix: 'auto' }, process.env))
    const cache = await core.group('Cachix', () => cachixPhase(inputs))
    await groupIf(needsNixConf(inputs), 'Configure Nix', () => configureNixPhase(inputs, cache, leftovers))
    const hosts = await core.group('Evaluate hosts', () => evaluateHostsPhase(inputs))
    const prewarm = await groupIf(inputs.attributes.length > 0, 'Evaluate pre-warm attributes', () =>
      evaluateAttributesPhase(inputs)
    )
    const evaluated = [...hosts.evaluated, ...(prewarm?.evaluated ?? [])]
    await groupIf(wantsEvaluationPush(cache, evaluated), 'Push what evaluation built', () =>
      pushEvaluationPhase(cache, evaluated)
    )
    const checks = await groupIf(inputs.checks, 'Flake checks', async () => {
      const plan = planChecks(await checkSystems(inputs.flake, process.env), inputs.runners)
      for (const system of plan.unmapped) core.warning(`checks.${system} has no runner: it is left out of the matrix`)
      core.info(`checks rows: ${plan.rows.map(r => r.system).join(', ') || 'none'}`)
      return plan.rows
    })
    const failed = [...hosts.failed, ...(prewarm?.failed ?? [])]
    const findings: Finding[] = failed.map(f => ({
      level: 'error',
      message: `${inputs.attributes.includes(f.name) ? 'attribute' : 'host'} ${f.name} does not evaluate, so it has no row:\n${f.error}`
    }))
    for (const finding of findings) core.error(finding.message)
    const cacheName = inputs.cachix ?? ''
    // During an outage (or with a private cache's token rejected) the plan cannot know what is cached: every host gets a row.
    findings.push(...planTroubleFindings(cacheName, cache.trouble?.access))
    const attributes = prewarm?.evaluated ?? []
    const cached =
      (await groupIf(cache.reader !== undefined && inputs.skipCached, 'Check the cache', () =>
        planCacheCheck(cache.reader!, cacheName, hosts.evaluated, attributes).catch((error: unknown) => {
          walkFailed(cacheName, error, new Set(), findings)
          return new Set<string>()
        })
      )) ?? new Set<string>()
    await core.group('Matrix', () =>
      matrixPhase(
        inputs,
        { hosts: hosts.evaluated, kinds: hosts.kinds, attributes, failed, checks: checks ?? [] },
        cached,
        findings
      )
    )
  } catch (error: unknown) {
    core.setFailed(errorMessage(error))
  } finally {
    await cleanUp(leftovers.workDir, leftovers.confPath).catch((error: unknown) =>
      core.warning(`could not take the planner's settings out of nix.conf again: ${errorMessage(error)}`)
    )
  }
}

/**
 * The caches to pull from while evaluating, opened as a build leg opens them; with a token, the
 * cache it may push what its evaluations built to.
 */
async function cachixPhase(inputs: PlanInputs): Promise<CacheSetup> {
  const findings: Finding[] = []
  const push = inputs.cachixAuthToken === undefined ? 'false' : 'auto'
  const cache = await setupCachix({ ...inputs, push }, findings, 'evaluating')
  // An extra pull cache that cannot be read only costs evaluation time: a warning, not a finding of the plan.
  for (const finding of findings) core.warning(finding.message)
  return cache
}

/** The evaluation needs nix.conf only for a github.com token, pull caches or the workflow's own settings. */
function needsNixConf(inputs: PlanInputs): boolean {
  return (
    inputs.githubToken !== undefined ||
    inputs.extraNixConfig.trim() !== '' ||
    inputs.cachix !== undefined ||
    inputs.extraPullCaches.length > 0
  )
}

/**
 * What the evaluation needs of nix.conf, as a build leg sets it: the github.com token, the pull
 * caches (import from derivation substitutes from them rather than building on a runner that is
 * thrown away) and extra-nix-config. The block and the secrets files come out again at the end.
 */
async function configureNixPhase(inputs: PlanInputs, cache: CacheSetup, leftovers: Leftovers): Promise<void> {
  leftovers.workDir = await mkdtemp(join(process.env.RUNNER_TEMP ?? tmpdir(), 'nix-cachix-plan-'))
  // Taken out again even when writing it fails halfway.
  leftovers.confPath = nixConfPath(process.env)
  await configureNix(
    {
      env: process.env,
      work: workFiles(leftovers.workDir),
      cache,
      githubToken: inputs.githubToken,
      extraNixConfig: inputs.extraNixConfig,
      hook: false
    },
    () => undefined
  )
}
