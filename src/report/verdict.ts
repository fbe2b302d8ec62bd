/**
 * The fleet's verdict: each host judged by the cache (its whole closure walked, upstream rule
 * included), and by how its leg ended. The cache decides whether a laptop would compile; the leg
 * decides whether something went wrong that a person must look at. Either fails the fleet.
 */
import type { Finding } from './finding.js'
import type { ClosureWalk } from '../cachix/closure-walk.js'
import { rowKey, rowLabel, type LegRecord, type LegRow } from './leg-record.js'

/** What the plan said: every host evaluated (cached or not), and the rows it gave legs. */
export interface FleetPlan {
  /** host → toplevel: the planner's `toplevels`. */
  toplevels: Record<string, string>
  /** host → what its evaluation imports (import from derivation): the planner's `imports`, when the workflow passes it. */
  imports?: Record<string, string[]>
  /** host → system of every evaluated host, cached or not: the planner's `systems`, when the workflow passes it. */
  systems?: Record<string, string>
  /** Rows of the plan's matrices (hosts, pre-warm attributes, checks). */
  rows: LegRow[]
  /** Hosts that did not evaluate: they have no toplevel to verify. */
  evalFailed: string[]
  /** Why the plan itself cannot be trusted (its job failed), if so. */
  problem?: string
}

/** The report's own walk of a host's closure in the cache. */
export type CacheCheck =
  | { state: 'verified'; upstream: number }
  | { state: 'missing'; path: string; neededBy: string }
  | { state: 'unknown'; reason: string }

/**
 * How a leg ended: `none` when the plan gave it no leg (cached at plan time); `no-report` when it
 * left no record (its runner died, it timed out, or it never started); `record-lost` when the
 * legs' job succeeded but this record could not be read (the artifact service failed).
 */
export type LegOutcome = 'none' | 'ok' | 'problems' | 'failed' | 'cancelled' | 'no-report' | 'record-lost'

/** The table's column: built here, already cached, failed, or not verified. */
export type FleetHostResult = 'built' | 'cached' | 'failed' | 'not-verified'

export interface HostVerdict {
  host: string
  system?: string
  toplevel?: string
  leg: LegOutcome
  cache: CacheCheck | { state: 'no-toplevel' }
  result: FleetHostResult
}

export interface RowVerdict {
  row: LegRow
  leg: LegOutcome
}

export interface FleetVerdict {
  passed: boolean
  hosts: HostVerdict[]
  /** Pre-warm and checks rows. */
  rows: RowVerdict[]
  /** One line per thing that failed, most important first: what a notification lists. */
  problems: string[]
  /** Everything for the summary: the report's own findings, then each leg's. */
  findings: Finding[]
  diffs: LegRecord['diffs']
}

/** needs.<build job>.result: tells a record the artifact service lost from a leg that died. */
export type LegsJobResult = 'success' | 'failure' | 'cancelled' | 'skipped' | undefined

export function cacheCheckOf(walk: ClosureWalk, imports: [string, ClosureWalk | undefined][] = []): CacheCheck {
  if (!walk.complete) {
    const missing = walk.firstMissing
    return { state: 'missing', path: missing?.path ?? '', neededBy: missing?.neededBy ?? '' }
  }
  // What the host's evaluation imports is no part of its closure, yet a laptop builds it to evaluate the host.
  for (const [path, imported] of imports) {
    if (imported?.complete === true) continue
    const missing = imported?.firstMissing
    return missing === undefined || missing.path === path
      ? { state: 'missing', path, neededBy: IMPORTED }
      : { state: 'missing', path: missing.path, neededBy: missing.neededBy }
  }
  return { state: 'verified', upstream: walk.upstream }
}

/** What needs an import from derivation: the host's evaluation, not a path of its closure. */
const IMPORTED = 'the evaluation of the host (import from derivation)'

function legOutcome(planned: boolean, record: LegRecord | undefined, legsJob: LegsJobResult): LegOutcome {
  if (record !== undefined) return record.status
  if (!planned) return 'none'
  return legsJob === 'success' ? 'record-lost' : 'no-report'
}

const LEG_FAILED: ReadonlySet<LegOutcome> = new Set(['failed', 'cancelled', 'no-report'])

const LEG_TEXT: Record<LegOutcome, string> = {
  none: 'no leg (cached when planned)',
  ok: 'ok',
  problems: 'ok, with push problems',
  failed: 'failed',
  cancelled: 'cancelled',
  'no-report': 'left no record: its runner died, it timed out, or it never started',
  'record-lost': 'succeeded, but its record could not be read'
}

export function legText(leg: LegOutcome): string {
  return LEG_TEXT[leg]
}

/** What the cache check found, for a host that is not verified. */
function missingText(cache: HostVerdict['cache']): string {
  if (cache.state === 'no-toplevel') return 'it did not evaluate'
  if (cache.state === 'unknown') return `it could not be verified: the cache could not be read (${cache.reason})`
  if (cache.state !== 'missing') return 'it is in the cache'
  if (cache.path === cache.neededBy) return `${cache.path} is not in the cache`
  return `${cache.path} (needed by ${cache.neededBy}) is not in the cache`
}

/** Judges every host and row; `caches` holds the report's walk of each host's toplevel. */
export function judgeFleet(
  plan: FleetPlan,
  records: ReadonlyMap<string, LegRecord>,
  caches: ReadonlyMap<string, CacheCheck>,
  legsJob: LegsJobResult
): FleetVerdict {
  const planned = new Map(plan.rows.map(row => [rowKey(row), row]))
  const problems: string[] = []
  const findings: Finding[] = []
  const hosts: HostVerdict[] = []
  const error = (message: string): void => {
    problems.push(message)
    findings.push({ level: 'error', message })
  }
  if (plan.problem !== undefined) error(plan.problem)
  else if (Object.keys(plan.toplevels).length === 0 && plan.evalFailed.length === 0)
    error('the plan listed no hosts: did the plan job fail? (pass it needs.plan.outputs.toplevels)')
  for (const host of plan.evalFailed) {
    hosts.push({ host, leg: 'none', cache: { state: 'no-toplevel' }, result: 'failed' })
    error(`${host} did not evaluate (see the plan job)`)
  }
  for (const [host, toplevel] of Object.entries(plan.toplevels)) {
    const row = planned.get(rowKey({ kind: 'host', host, system: '' }))
    const record = records.get(rowKey({ kind: 'host', host, system: '' }))
    const leg = legOutcome(row !== undefined, record, legsJob)
    const cache = caches.get(host) ?? { state: 'unknown', reason: 'not checked' }
    const verified = cache.state === 'verified'
    const result: FleetHostResult = LEG_FAILED.has(leg)
      ? 'failed'
      : !verified
        ? 'not-verified'
        : leg === 'none'
          ? 'cached'
          : 'built'
    // A host with no leg has no row to say its system: the planner's systems do, when the workflow passes them.
    const system = row?.system ?? record?.row.system ?? plan.systems?.[host]
    hosts.push({ host, system, toplevel, leg, cache, result })
    // One line per host: what went wrong with its leg, and what the cache lacks.
    if (LEG_FAILED.has(leg))
      error(
        `${host}: its leg ${LEG_TEXT[leg]}; ${verified ? 'its closure is in the cache all the same' : missingText(cache)}`
      )
    else if (!verified) error(`${host}: ${missingText(cache)}${leg === 'none' ? '' : ', although its leg reported ok'}`)
    if (leg === 'record-lost') findings.push({ level: 'warning', message: `${host}: its leg ${LEG_TEXT[leg]}` })
  }
  const rows: RowVerdict[] = []
  for (const row of plan.rows) {
    if (row.kind === 'host') continue
    const leg = legOutcome(true, records.get(rowKey(row)), legsJob)
    rows.push({ row, leg })
    if (!LEG_FAILED.has(leg)) continue
    // A pre-warm row only saves its host time: the host's own verdict says whether it matters.
    if (row.kind === 'attribute')
      findings.push({
        level: 'warning',
        message: `${rowLabel(row)}: its leg ${LEG_TEXT[leg]}; its host built it instead`
      })
    else error(`${rowLabel(row)}: ${leg === 'failed' ? 'a check failed' : `its leg ${LEG_TEXT[leg]}`}`)
  }
  for (const record of records.values())
    for (const finding of record.findings)
      findings.push({ level: finding.level, message: `${rowLabel(record.row)}: ${finding.message}` })
  return {
    passed: problems.length === 0,
    hosts,
    rows,
    problems,
    findings,
    diffs: [...records.values()].flatMap(r => r.diffs)
  }
}
