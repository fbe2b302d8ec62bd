import { formatBytes } from '../util/format.js'
import type { ClosureDiff, HostDiff, PackageChange } from './types.js'

export interface RenderOptions {
  cache: string
  /** Package rows shown per host; the rest is counted (the JSON output has them all). */
  maxRows?: number
}

const DEFAULT_MAX_ROWS = 60

export function signedBytes(delta: number): string {
  if (delta === 0) return '±0 B'
  return `${delta > 0 ? '+' : '-'}${formatBytes(Math.abs(delta))}`
}

/** diff-closures' notation: ∅ for no version at all, ε for an empty version. */
export function showVersions(versions: string[]): string {
  if (versions.length === 0) return '∅'
  return versions.map(v => (v === '' ? 'ε' : v)).join(', ')
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

function packageCounts(diff: ClosureDiff): string {
  const parts = [
    [diff.changed.length, 'changed'],
    [diff.added.length, 'added'],
    [diff.removed.length, 'removed'],
    [diff.rebuilt.length, 'rebuilt']
  ] as const
  const shown = parts.filter(([count]) => count > 0).map(([count, word]) => `${count} ${word}`)
  return shown.length === 0 ? 'no package changes' : shown.join(', ')
}

function downloadText(diff: ClosureDiff): string {
  const { paths, fileSize, sizeUnknown } = diff.download
  if (paths === 0) return 'nothing'
  const unknown =
    sizeUnknown.length === 0
      ? ''
      : ` (${plural(sizeUnknown.length, 'path')} in neither the cache nor its substituters: built, size unknown)`
  return `${plural(paths, 'path')}, ${formatBytes(fileSize)}${unknown}`
}

/** Why a host has no diff, in one sentence; undefined when it has one. */
function outcomeText(host: HostDiff, cache: string): string | undefined {
  switch (host.outcome) {
    case 'compared':
      return undefined
    case 'base-not-in-cache':
      return `the base toplevel ${host.base} is not in the cache ${cache}, so there is nothing to compare with (was the base commit built and pushed?)`
    case 'base-incomplete':
      return `the base toplevel ${host.base} is in ${cache}, but ${plural(host.missing.length, 'path')} of its closure are not (first: ${host.missing[0]}), so its closure is unknown`
    case 'new-host':
      return 'a new host: it does not exist at the base'
    case 'head-unavailable':
      return `the head toplevel ${host.head} is neither in the local store nor in ${cache}`
    case 'failed':
      return `no diff: ${host.message}`
  }
}

type Kind = 'changed' | 'added' | 'removed' | 'rebuilt'

function rows(diff: ClosureDiff): { kind: Kind; change: PackageChange }[] {
  return [
    ...diff.changed.map(change => ({ kind: 'changed' as const, change })),
    ...diff.added.map(change => ({ kind: 'added' as const, change })),
    ...diff.removed.map(change => ({ kind: 'removed' as const, change })),
    ...diff.rebuilt.map(change => ({ kind: 'rebuilt' as const, change }))
  ]
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|')
}

/** One host's part of the summary and of the PR comment. */
export function renderHostMarkdown(host: HostDiff, options: RenderOptions): string {
  const lines = [`### ${host.host}`, '']
  if (host.outcome !== 'compared') {
    lines.push(outcomeText(host, options.cache) ?? '', '')
    return lines.join('\n')
  }
  const { diff } = host
  lines.push(
    `\`${host.base}\` → \`${host.head}\``,
    '',
    '| | base | head | change |',
    '|---|---:|---:|---:|',
    `| closure | ${formatBytes(diff.before.narSize)} (${plural(diff.before.paths, 'path')}) | ${formatBytes(diff.after.narSize)} (${plural(diff.after.paths, 'path')}) | ${signedBytes(diff.after.narSize - diff.before.narSize)} |`,
    `| download to switch | | | ${cell(downloadText(diff))} |`,
    ''
  )
  const all = rows(diff)
  if (all.length === 0) {
    lines.push(host.base === host.head ? 'Same toplevel: nothing changes.' : 'No package changes.', '')
    return lines.join('\n')
  }
  const max = options.maxRows ?? DEFAULT_MAX_ROWS
  lines.push(`${packageCounts(diff)}:`, '', '| package | change | base | head | size |', '|---|---|---|---|---:|')
  for (const { kind, change } of all.slice(0, max)) {
    lines.push(
      `| ${cell(change.name)} | ${kind} | ${cell(showVersions(change.before))} | ${cell(showVersions(change.after))} | ${signedBytes(change.sizeDelta)} |`
    )
  }
  if (all.length > max) lines.push('', `…and ${all.length - max} more (the action's \`diff\` output lists them all).`)
  lines.push('')
  return lines.join('\n')
}

export function renderSummaryMarkdown(hosts: HostDiff[], options: RenderOptions & { base: string }): string {
  const lines = [`## Closure diff against ${options.base}`, '']
  if (hosts.length === 0) lines.push('No hosts to compare.', '')
  for (const host of hosts) lines.push(renderHostMarkdown(host, options))
  return lines.join('\n')
}

/** What the CLI prints: diff-closures' lines, then the totals. */
export function renderHostText(host: HostDiff, cache: string): string {
  if (host.outcome !== 'compared') return `${host.host}: ${outcomeText(host, cache)}\n`
  const { diff } = host
  const lines = [`${host.host}: ${host.base} → ${host.head}`]
  for (const { kind, change } of rows(diff)) {
    const versions =
      kind === 'rebuilt'
        ? `rebuilt (${showVersions(change.before)})`
        : `${showVersions(change.before)} → ${showVersions(change.after)}`
    lines.push(`  ${change.name}: ${versions}, ${signedBytes(change.sizeDelta)}`)
  }
  if (rows(diff).length === 0) lines.push('  no package changes')
  lines.push(
    `  closure: ${diff.before.paths} → ${diff.after.paths} paths, ${formatBytes(diff.before.narSize)} → ${formatBytes(diff.after.narSize)} (${signedBytes(diff.after.narSize - diff.before.narSize)})`,
    `  download to switch: ${downloadText(diff)}`
  )
  return `${lines.join('\n')}\n`
}

/** The `diff` output: host → its diff, everything included. */
export function diffJson(hosts: HostDiff[]): string {
  return JSON.stringify(Object.fromEntries(hosts.map(({ host, ...rest }) => [host, rest])))
}
