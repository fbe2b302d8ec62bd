import type { Finding, FindingLevel } from './finding.js'
import { formatBytes } from '../util/format.js'

export type HostStatus = 'built' | 'cached' | 'failed' | 'unfinished'

export interface HostResult {
  /** The host's id. */
  id: string
  system: string
  toplevel: string
  status: HostStatus
  /** Derivations of its closure that were built on this runner. */
  built: number
  /** Paths of its closure the dry run before the build planned to download rather than build. */
  substituted: number
  /** Paths of its closure uploaded to the cache by this run. */
  pushed: number
  pushedBytes: number
  seconds: number
  /** Share of its closure and its imports' present in the cache at the end, when known. */
  coverage?: number
  /** What its evaluation imports (import from derivation): their closures count as the host's. */
  imports?: string[]
}

export type RunStatus = 'ok' | 'problems' | 'failed'

export interface RunTotals {
  built: number
  /** Of `built`, how many each remote builder built. */
  builtRemotely?: Record<string, number>
  substituted: number
  pushed: number
  pushedBytes: number
  failedPushes: number
  leftovers: number
  coverage?: number
}

export function runStatus(hosts: HostResult[], findings: Finding[]): RunStatus {
  if (
    hosts.some(h => h.status === 'failed' || h.status === 'unfinished') ||
    findings.some(f => f.level === 'error' && f.pushProblem !== true)
  )
    return 'failed'
  if (findings.some(f => f.level === 'warning' || f.pushProblem === true)) return 'problems'
  return 'ok'
}

export function formatCoverage(coverage: number | undefined): string {
  if (coverage === undefined) return 'n/a'
  const percent = Math.floor(coverage * 1000) / 10
  return `${percent}%`
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
}

const STATUS_TEXT: Record<HostStatus, string> = {
  built: '✅ built',
  cached: '⏭️ cached, not rebuilt',
  failed: '❌ failed',
  unfinished: '⏸️ not finished'
}
const LEVEL_TEXT: Record<FindingLevel, string> = { error: '❌', warning: '⚠️', notice: 'ℹ️' }

/** ", 4 of them on remote builders (ssh-ng://… 4)" when remote builders built any. */
function remoteShare(builtRemotely: Record<string, number> | undefined): string {
  const entries = Object.entries(builtRemotely ?? {})
  if (entries.length === 0) return ''
  const total = entries.reduce((sum, [, n]) => sum + n, 0)
  return `, ${total} of them on remote builders (${entries.map(([builder, n]) => `${builder}: ${n}`).join(', ')})`
}

/** The job summary: a row per host, then the totals and what needs attention. */
export function renderSummary(title: string, hosts: HostResult[], totals: RunTotals, findings: Finding[]): string {
  const status = runStatus(hosts, findings)
  const lines = [`## ${title}: ${status}`, '']
  if (hosts.length > 0) {
    lines.push(
      '| host | system | result | toplevel | built | to download | pushed | bytes | time | coverage |',
      '|---|---|---|---|---:|---:|---:|---:|---:|---:|'
    )
    for (const h of hosts) {
      lines.push(
        `| ${h.id} | ${h.system} | ${STATUS_TEXT[h.status]} | \`${h.toplevel}\` | ${h.built} | ${h.substituted} | ${h.pushed} | ${formatBytes(h.pushedBytes)} | ${formatSeconds(h.seconds)} | ${formatCoverage(h.coverage)} |`
      )
    }
    lines.push('')
  }
  lines.push(
    `Built ${totals.built} derivations${remoteShare(totals.builtRemotely)} (the dry run planned ${totals.substituted} paths to download), pushed ${totals.pushed} paths (${formatBytes(totals.pushedBytes)}); cache coverage ${formatCoverage(totals.coverage)}.`,
    ''
  )
  lines.push(...findingsSection(findings))
  return lines.join('\n')
}

/** The summary's "Findings" section (none without findings); `firstLines` keeps each message to its first line. */
export function findingsSection(findings: Finding[], firstLines = false): string[] {
  if (findings.length === 0) return []
  const items = findings.map(f => `- ${LEVEL_TEXT[f.level]} ${firstLines ? f.message.split('\n')[0] : f.message}`)
  return ['### Findings', '', ...items, '']
}
