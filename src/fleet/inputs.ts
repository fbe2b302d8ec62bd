/**
 * The report's inputs, checked before anything runs. The plan and the legs come in one input,
 * `needs: ${{ toJSON(needs) }}`: every job the report needs, with its result and outputs, so the
 * workflow passes nothing by hand and a renamed job cannot be forgotten.
 */
import { rowKey, type LegRow } from '../report/leg-record.js'
import type { NotifyMode } from '../report/notify-when.js'
import type { WebhookFormat } from '../report/notification.js'
import type { FleetPlan, LegsJobResult } from '../report/verdict.js'
import * as core from '@actions/core'
import { cacheName, cachixUrl, fail } from '../inputs/checks.js'
import { checkedReader, readInputs, type InputReader } from '../inputs/reader.js'

export interface ReportInputs {
  plan: FleetPlan
  legsJob: LegsJobResult
  cachix: string
  cachixAuthToken?: string
  cachixUrl: string
  notifyUrl?: URL
  notifyFormat: WebhookFormat | 'auto'
  notify: NotifyMode
  /** Branch moved to this commit once every host is verified. */
  promoteRef?: string
  githubToken?: string
}

interface NeededJob {
  result: string
  outputs: Record<string, string>
}

const NEEDS_HINT = "pass needs: ${{ toJSON(needs) }}, with the plan job among the report job's needs"

function parseJson(input: string, text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    fail(input, `${what} is not JSON`)
  }
}

/** needs.<plan>.outputs.matrix and .prewarm-matrix: {"include": [rows]}, or empty when the job gave none. */
function rowsOf(text: string | undefined, what: string): LegRow[] {
  if (text === undefined || text.trim() === '') return []
  const matrix = parseJson('needs', text, what) as { include?: Record<string, unknown>[] }
  const rows: LegRow[] = []
  for (const row of matrix?.include ?? []) {
    const system = typeof row.system === 'string' ? row.system : fail('needs', `a row of ${what} has no system`)
    if (row.kind === 'checks') rows.push({ kind: 'checks', system })
    else if (typeof row.attribute === 'string' && row.host === undefined)
      rows.push({ kind: 'attribute', attribute: row.attribute, system })
    else if (typeof row.host === 'string') rows.push({ kind: 'host', host: row.host, system })
    else fail('needs', `a row of ${what} is neither a host, an attribute nor checks`)
  }
  return rows
}

function stringArray(text: string | undefined, what: string): string[] {
  if (text === undefined || text.trim() === '') return []
  const value = parseJson('needs', text, what)
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) fail('needs', `${what} is not a list of names`)
  return value
}

/** A planner output of host → value, when the workflow declared it; absent (an older workflow) gives undefined. */
function hostMapOf<T>(
  text: string | undefined,
  what: string,
  isValue: (value: unknown) => value is T,
  shape: string
): Record<string, T> | undefined {
  if (text === undefined || text.trim() === '') return undefined
  const value = parseJson('needs', text, what)
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every(isValue))
    fail('needs', `${what} is not an object of host → ${shape}`)
  return value as Record<string, T>
}

const isString = (value: unknown): value is string => typeof value === 'string'
const isPathList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString)

/** The plan (the needed job whose outputs hold toplevels) and how the other jobs, the legs, ended. */
export function parseNeeds(text: string): Pick<ReportInputs, 'plan' | 'legsJob'> {
  if (text.trim() === '') fail('needs', `is empty: ${NEEDS_HINT}`)
  const value = parseJson('needs', text, 'it')
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('needs', `is not an object: ${NEEDS_HINT}`)
  const jobs = Object.entries(value as Record<string, NeededJob>)
  const planJob = jobs.find(([, job]) => job?.outputs?.toplevels !== undefined)
  if (planJob === undefined) {
    const failed = jobs.find(([, job]) => job?.result !== 'success')
    if (failed === undefined)
      fail('needs', `no job in it has a toplevels output: ${NEEDS_HINT}, and its toplevels output declared`)
    return {
      plan: {
        toplevels: {},
        rows: [],
        evalFailed: [],
        problem: `the ${failed[0]} job ended ${failed[1]?.result ?? 'without a result'}, so nothing was planned`
      },
      legsJob: 'failure'
    }
  }
  const [planName, { result, outputs }] = planJob
  const toplevels = parseJson('needs', outputs.toplevels || '{}', `needs.${planName}.outputs.toplevels`)
  if (typeof toplevels !== 'object' || toplevels === null || Array.isArray(toplevels))
    fail('needs', `needs.${planName}.outputs.toplevels is not an object of host → store path`)
  const legs = jobs.filter(([name]) => name !== planName).map(([, job]) => job?.result)
  const legsJob: LegsJobResult = legs.every(r => r === 'success' || r === 'skipped')
    ? 'success'
    : legs.includes('cancelled') && !legs.includes('failure')
      ? 'cancelled'
      : 'failure'
  return {
    plan: {
      toplevels: toplevels as Record<string, string>,
      imports: hostMapOf(outputs.imports, `needs.${planName}.outputs.imports`, isPathList, 'list of store paths'),
      // Each host's system, a host with no leg included; without it only the legs' rows say.
      systems: hostMapOf(outputs.systems, `needs.${planName}.outputs.systems`, isString, 'system'),
      // The matrices overlap (matrix holds every row; build-matrix and prewarm-matrix split them): a row counts once.
      rows: [
        ...new Map(
          (['prewarm-matrix', 'build-matrix', 'matrix'] as const)
            .flatMap(output => rowsOf(outputs[output], `needs.${planName}.outputs.${output}`))
            .map(row => [rowKey(row), row])
        ).values()
      ],
      evalFailed: stringArray(outputs['eval-failed'], `needs.${planName}.outputs.eval-failed`),
      problem: result === 'success' ? undefined : `the ${planName} job ended ${result}`
    },
    legsJob
  }
}

const BRANCH = /^(?:refs\/heads\/)?[A-Za-z0-9._][A-Za-z0-9._/-]*$/

/** The report's inputs, validated, with the secrets masked before anything can log them. */
export function getReportInputs(): ReportInputs {
  return readInputs(
    parseReportInputs,
    name => core.getInput(name),
    value => core.setSecret(value)
  )
}

export function parseReportInputs(readRaw: InputReader): ReportInputs {
  const read = checkedReader(readRaw)
  const text = (name: string): string => read(name).trim()
  const cachix =
    cacheName('cachix', read('cachix')) ?? fail('cachix', 'is required: the cache the hosts are verified in')
  const notifyText = text('notify-url')
  let notifyUrl: URL | undefined
  if (notifyText !== '') {
    // The URL is a secret: the message says what is wrong with it, never what it is.
    try {
      notifyUrl = new URL(notifyText)
    } catch {
      fail('notify-url', 'is not a URL: paste the webhook URL alone')
    }
    if (notifyUrl.protocol !== 'https:' && notifyUrl.protocol !== 'http:') fail('notify-url', 'is not an http(s) URL')
  }
  const format = text('notify-format') || 'auto'
  if (!['auto', 'discord', 'slack', 'json'].includes(format))
    fail('notify-format', `"${format}" is not one of auto, discord, slack, json`)
  const notify = text('notify') || 'failures'
  if (notify !== 'failures' && notify !== 'always') fail('notify', `"${notify}" is not failures or always`)
  const promoteRef = text('promote-ref') || undefined
  if (promoteRef !== undefined && (!BRANCH.test(promoteRef) || promoteRef.includes('..') || promoteRef.endsWith('/')))
    fail('promote-ref', `"${promoteRef}" is not a branch name, e.g. cached`)
  const githubToken = text('github-token') || undefined
  return {
    ...parseNeeds(read('needs')),
    cachix,
    cachixAuthToken: text('cachix-auth-token') || undefined,
    cachixUrl: cachixUrl('cachix-url', read('cachix-url')),
    notifyUrl,
    notifyFormat: format as ReportInputs['notifyFormat'],
    notify,
    promoteRef,
    githubToken
  }
}
