/** The report job's summary: one table for the whole fleet, the other rows, the closure diffs, the findings. */
import { renderHostMarkdown } from '../diff/render.js'
import { rowLabel } from './leg-record.js'
import type { Promotion } from './promotion.js'
import { findingsSection } from './summary.js'
import { legText, type FleetVerdict, type FleetHostResult, type HostVerdict } from './verdict.js'

const RESULT_TEXT: Record<FleetHostResult, string> = {
  built: '✅ built here',
  cached: '⏭️ already cached',
  failed: '❌ failed',
  'not-verified': '❌ not verified'
}

/** Table cells hold no pipes or new lines. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')
}

function cacheText(verdict: HostVerdict): string {
  const cache = verdict.cache
  if (cache.state === 'verified')
    return cache.upstream === 0 ? 'whole closure present' : `whole closure present (${cache.upstream} upstream)`
  if (cache.state === 'no-toplevel') return 'did not evaluate'
  if (cache.state === 'unknown') return `could not be read: ${cache.reason}`
  if (cache.path === cache.neededBy) return `\`${cache.path}\` missing`
  return `\`${cache.path}\` missing (needed by \`${cache.neededBy}\`)`
}

/** One line for the promotion of the followed branch. */
export function promotionText(promotion: Promotion): string {
  const ref = `\`${promotion.ref}\``
  const short = (sha: string): string => sha.slice(0, 12)
  switch (promotion.action) {
    case 'create':
      return `${ref} created at ${short(promotion.to)}.`
    case 'update':
      return `${ref} moved from ${short(promotion.from)} to ${short(promotion.to)}.`
    case 'none':
      return `${ref} not moved: ${promotion.reason}.`
  }
}

export interface FleetSummaryOptions {
  /** The Cachix cache, for the closure diffs' texts. */
  cache: string
  promotion?: Promotion
}

export function renderFleetSummary(verdict: FleetVerdict, options: FleetSummaryOptions): string {
  const hosts = verdict.hosts
  const ready = hosts.filter(h => h.result === 'built' || h.result === 'cached').length
  const title = verdict.passed
    ? `## ✅ Fleet: every host is in the cache (${ready} of ${hosts.length})`
    : `## ❌ Fleet: ${hosts.length - ready} of ${hosts.length} host${hosts.length === 1 ? '' : 's'} ${hosts.length - ready === 1 ? 'is' : 'are'} not ready`
  const lines = [title, '']
  if (hosts.length > 0) {
    lines.push('| host | system | result | leg | cache |', '|---|---|---|---|---|')
    for (const h of hosts)
      lines.push(
        `| ${cell(h.host)} | ${h.system ?? ''} | ${RESULT_TEXT[h.result]} | ${cell(legText(h.leg))} | ${cell(cacheText(h))} |`
      )
    lines.push('')
  }
  if (verdict.rows.length > 0) {
    lines.push('| row | system | leg |', '|---|---|---|')
    for (const r of verdict.rows) lines.push(`| ${cell(rowLabel(r.row))} | ${r.row.system} | ${cell(legText(r.leg))} |`)
    lines.push('')
  }
  if (options.promotion !== undefined) lines.push(promotionText(options.promotion), '')
  if (verdict.diffs.length > 0) {
    lines.push('### Closure diffs', '')
    for (const diff of verdict.diffs)
      lines.push(renderHostMarkdown(diff, { cache: options.cache }).replace(/^### /, '#### '))
  }
  lines.push(...findingsSection(verdict.findings, true))
  return lines.join('\n')
}
