import * as core from '@actions/core'
import type { NixStore } from '../../nix/store.js'
import type { Finding } from '../../report/finding.js'
import { formatBytes } from '../../util/format.js'
import {
  formatCoverage,
  renderSummary,
  runStatus,
  type HostResult,
  type RunStatus,
  type RunTotals
} from '../../report/summary.js'
import type { CacheAccess } from '../../cachix/cache-access.js'
import { troubleFindings } from '../../report/cache-trouble.js'
import { renderFailedBuilds } from '../../report/failed-builds.js'
import { pushFindings, stepFailure } from '../../report/outcome.js'
import { Output, State } from '../constants.js'
import type { BuiltStep } from './build.js'
import type { CacheSetup } from './cachix.js'
import type { PushOutcome } from './push.js'
import type { Run } from './run.js'

interface RunRecord {
  system: string
  results: HostResult[]
  findings: Finding[]
  builtDrvs: string[]
  /** Of builtDrvs, those a remote builder built: derivation → builder. */
  builtRemotely: Map<string, string>
  builtOutputs: string[]
  substituted: string[]
  /** path → compressed bytes, for every upload this run made */
  pushed: Map<string, number>
  failedPushes: number
  leftovers: number
  coverage?: number
  /** Paths of the built closures the cache lacks at the end (known only when pushing). */
  absentFromCache?: Set<string>
}

/** Per-host counts: what of each host's closure was built, substituted and pushed by this run, and how much of it the cache has. */
async function countPerHost(store: NixStore, record: RunRecord): Promise<void> {
  const built = new Set(record.builtOutputs)
  const fetched = new Set(record.substituted)
  for (const result of record.results) {
    if (!(await store.isValid(result.toplevel))) continue
    // An import the cache lacks is a hole in the host as a missing runtime path is: a laptop builds it to evaluate.
    const closure = await store.closure([result.toplevel, ...(await store.validPaths(result.imports ?? []))])
    const pushedHere = closure.filter(p => record.pushed.has(p))
    result.built = closure.filter(p => built.has(p)).length
    result.substituted = closure.filter(p => fetched.has(p)).length
    result.pushed = pushedHere.length
    result.pushedBytes = pushedHere.reduce((sum, p) => sum + (record.pushed.get(p) ?? 0), 0)
    const absent = record.absentFromCache
    if (absent !== undefined && (result.status === 'built' || result.status === 'cached')) {
      result.coverage = (closure.length - closure.filter(p => absent.has(p)).length) / closure.length
    }
  }
}

function countByBuilder(builtRemotely: Map<string, string>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const builder of builtRemotely.values()) counts[builder] = (counts[builder] ?? 0) + 1
  return counts
}

/** Sets the outputs, prints the annotations and writes the job summary. */
async function publish(record: RunRecord): Promise<RunStatus> {
  const { results, findings } = record
  const totals: RunTotals = {
    built: record.builtDrvs.length,
    builtRemotely: countByBuilder(record.builtRemotely),
    substituted: record.substituted.length,
    pushed: record.pushed.size,
    pushedBytes: [...record.pushed.values()].reduce((a, b) => a + b, 0),
    failedPushes: record.failedPushes,
    leftovers: record.leftovers,
    coverage: record.coverage
  }
  const status = runStatus(results, findings)
  const unfinished = results.filter(r => r.status === 'failed' || r.status === 'unfinished').map(r => r.id)
  core.setOutput(Output.Hosts, JSON.stringify(Object.fromEntries(results.map(r => [r.id, r.toplevel]))))
  core.setOutput(Output.Built, String(totals.built))
  core.setOutput(Output.BuiltRemotely, String(record.builtRemotely.size))
  core.setOutput(Output.Substituted, String(totals.substituted))
  core.setOutput(Output.Pushed, String(totals.pushed))
  core.setOutput(Output.PushedBytes, String(totals.pushedBytes))
  core.setOutput(Output.SkippedHosts, JSON.stringify(results.filter(r => r.status === 'cached').map(r => r.id)))
  core.setOutput(Output.FailedHosts, JSON.stringify(unfinished))
  core.setOutput(Output.Coverage, formatCoverage(totals.coverage))
  core.setOutput(Output.Status, status)
  core.setOutput(Output.Findings, JSON.stringify(findings.map(f => ({ level: f.level, message: f.message }))))
  for (const f of findings) {
    if (f.announced) continue
    if (f.level === 'warning') core.warning(f.message)
    else if (f.level === 'notice') core.notice(f.message)
    else core.error(f.message)
  }
  await core.summary.addRaw(renderSummary(`nix-cachix-build ${record.system}`, results, totals, findings)).write()
  core.info(
    `Status: ${status}; built ${totals.built}, substituted ${totals.substituted}, pushed ${totals.pushed} (${formatBytes(totals.pushedBytes)}), coverage ${formatCoverage(totals.coverage)}`
  )
  return status
}

/** How the run ended: the cache as it is now, the try to reach it again, the build and the push. */
export interface RunEnd {
  cache: CacheSetup
  /** The try to reach the cache before the final push, after an outage. */
  late?: CacheAccess
  build: BuiltStep
  push?: PushOutcome
}

/**
 * What the cache's trouble and the push come to, then the outputs, annotations and the summary;
 * then the step's verdict.
 */
export async function reportPhase(run: Run, { cache, late, build, push }: RunEnd): Promise<RunStatus> {
  const { inputs, findings } = run
  if (cache.trouble !== undefined && inputs.cachix !== undefined)
    findings.push(
      ...troubleFindings({
        cache: inputs.cachix,
        ...cache.trouble,
        late,
        drainTimeoutSeconds: inputs.drainTimeoutSeconds
      })
    )
  if (push !== undefined) findings.push(...pushFindings(push.final, inputs.drainTimeoutSeconds))
  const record = runRecord(run, build, push)
  await countPerHost(run.store, record)
  const status = await publish(record)
  if (build.failedBuilds.length > 0) await core.summary.addRaw(renderFailedBuilds(build.failedBuilds)).write()
  core.saveState(State.Finished, 'true')
  const failure = stepFailure(record.results, status, inputs.failOnPushError, record.findings)
  if (failure !== undefined) core.setFailed(failure)
  return status
}

/** The run in numbers: what was built (here and remotely), substituted and pushed, and what the cache lacks. */
function runRecord({ inputs, findings }: Run, build: BuiltStep, push: PushOutcome | undefined): RunRecord {
  const builtDrvs = [...new Set([...(build.result?.builtDrvs ?? []), ...build.spooled.drvPaths])]
  const coverage = push?.final.coverage
  return {
    system: inputs.system,
    results: build.results,
    findings,
    builtDrvs,
    builtRemotely: new Map(builtDrvs.filter(d => build.remoteBuilds.has(d)).map(d => [d, build.remoteBuilds.get(d)!])),
    builtOutputs: [...new Set([...(build.result?.builtOutputs ?? []), ...build.spooled.outputs])],
    substituted: build.substitutedPlanned,
    pushed: push?.pushed ?? new Map<string, number>(),
    failedPushes: push?.final.failures.length ?? 0,
    leftovers: push?.final.leftovers.length ?? 0,
    coverage: coverage?.ratio,
    absentFromCache: coverage ? new Set([...coverage.missing, ...coverage.filtered]) : undefined
  }
}
