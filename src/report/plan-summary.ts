import { kindSpec, type ConfigurationKind } from '../hosts/configurations.js'

/** What the summary shows of the plan's host rows (the planner's Plan). */
export interface PlannedRows {
  rows: { host: string; kind: ConfigurationKind; system: string; runner: string }[]
  cached: string[]
}

/** What the summary shows of the plan's pre-warm rows (the planner's AttributePlan). */
export interface PlannedAttributeRows {
  rows: { attribute: string; kind: 'attribute'; system: string; runner: string }[]
  cached: string[]
}

/** The plan summary's section on hosts that did not evaluate, with the start of each error. */
export function renderEvalFailures(failed: { name: string; error: string }[]): string {
  if (failed.length === 0) return ''
  const blocks = failed.map(
    f =>
      `- **${f.name}** does not evaluate:\n\n  \`\`\`\n${f.error
        .split('\n')
        .map(l => `  ${l}`)
        .join('\n')}\n  \`\`\``
  )
  return `\n### Hosts that do not evaluate (no row)\n\n${blocks.join('\n')}\n`
}

/** The plan job's summary: what went wrong with the cache, the rows, what is cached, and what does not evaluate. */
export function renderPlanSummary(
  plan: PlannedRows,
  attributes: PlannedAttributeRows,
  failed: { name: string; error: string }[],
  warnings: string[] = []
): string {
  const rows = [
    ...plan.rows.map(
      r => `- ${r.host} (${r.kind === 'nixos' ? '' : `${kindSpec(r.kind).label}, `}${r.system}) on \`${r.runner}\``
    ),
    ...attributes.rows.map(r => `- pre-warm ${r.attribute} (${r.system}) on \`${r.runner}\``)
  ]
  const cached = [...plan.cached, ...attributes.cached]
  const warned = warnings.map(w => `> ⚠️ ${w}\n\n`).join('')
  return `## nix-cachix-build plan\n\n${warned}${rows.length === 0 ? 'Nothing to build: everything is cached.' : rows.join('\n')}\n${cached.length > 0 ? `\nAlready cached: ${cached.join(', ')}\n` : ''}${renderEvalFailures(failed)}`
}
