/**
 * What a build leg leaves for the report: one small JSON file per leg and attempt, uploaded to the
 * run's artifacts. The report never trusts it for the cache (it walks the closures itself): the
 * record only says how the leg ended, what it found, and its closure diffs. A leg whose runner died
 * leaves none, and its host still gets the cache's verdict.
 */
import type { Finding } from './finding.js'
import type { HostDiff } from '../diff/types.js'

/** Which row of the plan a leg ran: a host, a pre-warm attribute, or the flake checks of a system. */
export type LegRow =
  | { kind: 'host'; host: string; system: string }
  | { kind: 'attribute'; attribute: string; system: string }
  | { kind: 'checks'; system: string }

/** How the leg ended, in its own words; `cancelled` is written by the post step of a leg stopped mid-way. */
export type LegStatus = 'ok' | 'problems' | 'failed' | 'cancelled'

export interface LegRecord {
  version: 1
  row: LegRow
  /** github.run_attempt of the leg: a re-run leg's record replaces the earlier attempt's. */
  attempt: number
  status: LegStatus
  /** The toplevel (or attribute output) each built item ended as: built, cached, failed or unfinished. */
  results: { name: string; outPath: string; status: string }[]
  findings: Finding[]
  /** Closure diffs against diff-base, when the leg made them. */
  diffs: HostDiff[]
}

const ARTIFACT_PREFIX = 'nix-cachix-build-leg'
/** Characters an artifact name may not hold (@actions/artifact refuses them), and % itself. */
const NOT_IN_ARTIFACT_NAME = /[%":<>|*?\r\n\\/]/g

function escapeName(text: string): string {
  return text.replace(NOT_IN_ARTIFACT_NAME, c => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** The key of a row: one record per row and attempt. */
export function rowKey(row: LegRow): string {
  if (row.kind === 'host') return `host ${row.host}`
  if (row.kind === 'attribute') return `attribute ${row.attribute}`
  return `checks ${row.system}`
}

/** What the summary and the messages call a row. */
export function rowLabel(row: LegRow): string {
  if (row.kind === 'host') return row.host
  if (row.kind === 'attribute') return `pre-warm ${row.attribute}`
  return `checks (${row.system})`
}

/** The artifact a leg uploads its record as: unique per row and attempt, so a re-run never collides (409). */
export function legArtifactName(row: LegRow, attempt: number): string {
  const what =
    row.kind === 'checks' ? `checks-${row.system}` : `${row.kind}-${row.kind === 'host' ? row.host : row.attribute}`
  return `${ARTIFACT_PREFIX}-${escapeName(what)}-attempt-${attempt}`
}

/** Whether an artifact of the run is a leg record, and of which attempt. */
export function legArtifactAttempt(name: string): number | undefined {
  if (!name.startsWith(`${ARTIFACT_PREFIX}-`)) return undefined
  const attempt = /-attempt-(\d+)$/.exec(name)
  return attempt ? Number(attempt[1]) : undefined
}

/** The record file inside the artifact. */
export const LEG_RECORD_FILE = 'leg-record.json'

function fail(what: string): never {
  throw new Error(`not a leg record: ${what}`)
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') fail(`${what} is not a string`)
  return value
}

function parseRow(value: unknown): LegRow {
  if (typeof value !== 'object' || value === null) fail('row is missing')
  const row = value as Record<string, unknown>
  const system = text(row.system, 'row.system')
  if (row.kind === 'host') return { kind: 'host', host: text(row.host, 'row.host'), system }
  if (row.kind === 'attribute') return { kind: 'attribute', attribute: text(row.attribute, 'row.attribute'), system }
  if (row.kind === 'checks') return { kind: 'checks', system }
  fail(`row.kind ${JSON.stringify(row.kind)}`)
}

const STATUSES: readonly LegStatus[] = ['ok', 'problems', 'failed', 'cancelled']
const LEVELS = ['error', 'warning', 'notice']

/** A record read back from an artifact; anything malformed is refused with what was wrong. */
export function parseLegRecord(json: string): LegRecord {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    fail('not JSON')
  }
  if (typeof value !== 'object' || value === null) fail('not an object')
  const record = value as Record<string, unknown>
  if (record.version !== 1) fail(`version ${JSON.stringify(record.version)}`)
  if (!STATUSES.includes(record.status as LegStatus)) fail(`status ${JSON.stringify(record.status)}`)
  if (!Number.isInteger(record.attempt) || (record.attempt as number) < 1) fail('attempt is not a positive integer')
  const results = Array.isArray(record.results) ? record.results : fail('results is not a list')
  const findings = Array.isArray(record.findings) ? record.findings : fail('findings is not a list')
  return {
    version: 1,
    row: parseRow(record.row),
    attempt: record.attempt as number,
    status: record.status as LegStatus,
    results: results.map((r: Record<string, unknown>) => ({
      name: text(r?.name, 'results[].name'),
      outPath: text(r?.outPath, 'results[].outPath'),
      status: text(r?.status, 'results[].status')
    })),
    findings: findings.map((f: Record<string, unknown>) => {
      if (!LEVELS.includes(f?.level as string)) fail(`finding level ${JSON.stringify(f?.level)}`)
      return { level: f.level as Finding['level'], message: text(f.message, 'findings[].message') }
    }),
    diffs: Array.isArray(record.diffs) ? (record.diffs as HostDiff[]) : []
  }
}

/** The latest attempt's record of each row. */
export function latestRecords(records: LegRecord[]): Map<string, LegRecord> {
  const latest = new Map<string, LegRecord>()
  for (const record of records) {
    const key = rowKey(record.row)
    const seen = latest.get(key)
    if (seen === undefined || record.attempt > seen.attempt) latest.set(key, record)
  }
  return latest
}

/** What a leg knows when it ends: what it was asked to build, and how each thing ended. */
export interface LegEnd {
  system: string
  attempt: number
  /** ok, problems or failed (the action's status), or cancelled. */
  status: LegStatus
  hosts: { name: string; outPath: string; status: string }[]
  attributes: { name: string; outPath: string; status: string }[]
  /** The leg built the flake checks of `system`. */
  checks: boolean
  findings: Finding[]
  diffs: HostDiff[]
}

const HOST_FAILED = new Set(['failed', 'unfinished'])

/** A row with an item (a host, an attribute) ends as that item did; a checks row as the leg did. */
function itemStatus(leg: LegStatus, item: string | undefined): LegStatus {
  if (leg === 'cancelled' || item === undefined) return leg
  if (HOST_FAILED.has(item)) return 'failed'
  // The leg failed for another of its rows: this one is fine.
  return leg === 'failed' ? 'ok' : leg
}

/**
 * One record per row the leg ran: a host's record says failed when that host did, so a leg of
 * several hosts fails only those. The leg's findings go with one record, once: the first failed one.
 */
export function legRecordsOf(end: LegEnd): LegRecord[] {
  const ofItem = (row: LegRow, item?: { name: string; outPath: string; status: string }): LegRecord => ({
    version: 1,
    row,
    attempt: end.attempt,
    status: itemStatus(end.status, item?.status),
    // A leg stopped early knows its rows, not their paths.
    results: item === undefined || item.outPath === '' ? [] : [item],
    findings: [],
    diffs: []
  })
  const records = [
    ...end.hosts.map(h => ({
      ...ofItem({ kind: 'host', host: h.name, system: end.system }, h),
      diffs: end.diffs.filter(d => d.host === h.name)
    })),
    ...end.attributes.map(a => ofItem({ kind: 'attribute', attribute: a.name, system: end.system }, a)),
    ...(end.checks ? [ofItem({ kind: 'checks', system: end.system })] : [])
  ]
  // With the row that failed, if one did, so the report does not put one host's error under another's name.
  const holder = records.find(r => r.status === 'failed') ?? records[0]
  if (holder !== undefined) holder.findings = end.findings
  return records
}
