/**
 * The message a notification carries, shaped for where it goes: Discord and Slack webhooks get
 * their own payloads within their documented limits; any other URL gets the report as JSON.
 */
import type { NotificationKind } from './notify-when.js'
import type { FleetVerdict } from './verdict.js'

export type WebhookFormat = 'discord' | 'slack' | 'json'

/**
 * Discord: a message's `content` holds at most 2,000 characters (Execute Webhook).
 * Slack: a section block's text at most 3,000 characters (Block Kit reference); the
 * top-level `text`, the notification's fallback, is kept to the same.
 */
export const DISCORD_CONTENT_LIMIT = 2000
export const SLACK_SECTION_LIMIT = 3000
/** One failure line at most, so one long error cannot crowd out the others. */
const LINE_LIMIT = 300

const DISCORD_HOSTS = new Set(['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'])

/** The payload shape for a URL: by its host; `format` overrides it (e.g. a Slack-compatible Mattermost). */
export function webhookFormat(url: URL, format: WebhookFormat | 'auto' = 'auto'): WebhookFormat {
  if (format !== 'auto') return format
  if (DISCORD_HOSTS.has(url.hostname) && url.pathname.startsWith('/api/webhooks/')) return 'discord'
  if (url.hostname === 'hooks.slack.com') return 'slack'
  return 'json'
}

/** The run the message is about. */
export interface RunFacts {
  repository: string
  /** Branch or tag name. */
  refName: string
  sha: string
  runUrl: string
  /** The cache, for the title. */
  cache: string
}

export interface Message {
  kind: NotificationKind
  title: string
  /** One line each: what failed, most important first. */
  lines: string[]
  runUrl: string
}

const TITLE: Record<NotificationKind, string> = {
  failure: '❌ not fully cached',
  recovered: '✅ recovered: every host is in the cache again',
  passed: '✅ every host is in the cache'
}

export function messageOf(kind: NotificationKind, verdict: FleetVerdict, run: RunFacts): Message {
  return {
    kind,
    title: `${run.repository}@${run.refName} (${run.sha.slice(0, 7)}), ${run.cache}: ${TITLE[kind]}`,
    lines: kind === 'failure' ? verdict.problems : [],
    runUrl: run.runUrl
  }
}

function clip(line: string, limit: number): string {
  const first = line.split('\n')[0]
  return first.length <= limit ? first : `${first.slice(0, limit - 1)}…`
}

/**
 * head, then as many items as fit, then "…and N more" for the rest, then tail, in at most `limit`
 * characters (UTF-16 units: never fewer than the code points Discord and Slack count).
 */
export function fitLines(head: string, items: string[], tail: string, limit: number): string {
  const more = (n: number): string => `…and ${n} more`
  const shown: string[] = []
  let used = head.length + 1 + tail.length
  for (let i = 0; i < items.length; i++) {
    const left = items.length - i - 1
    const reserve = left > 0 ? more(left).length + 1 : 0
    if (used + items[i].length + 1 + reserve > limit) {
      shown.push(more(items.length - i))
      break
    }
    shown.push(items[i])
    used += items[i].length + 1
  }
  const text = [head, ...shown, tail].join('\n')
  return text.length <= limit ? text : clip(text, limit)
}

/** Discord's markdown, and no pings: a host named @everyone stays text. */
function discordEscape(text: string): string {
  return text.replace(/([\\*_~`|>])/g, '\\$1')
}

export function discordPayload(message: Message): { content: string; allowed_mentions: { parse: never[] } } {
  const items = message.lines.map(l => `- ${discordEscape(clip(l, LINE_LIMIT))}`)
  return {
    content: fitLines(`**${discordEscape(message.title)}**`, items, message.runUrl, DISCORD_CONTENT_LIMIT),
    allowed_mentions: { parse: [] }
  }
}

/** Slack's mrkdwn needs &, < and > escaped; links are <url|text>. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export interface SlackPayload {
  text: string
  blocks: { type: 'section'; text: { type: 'mrkdwn'; text: string } }[]
}

export function slackPayload(message: Message): SlackPayload {
  const items = message.lines.map(l => `• ${slackEscape(clip(l, LINE_LIMIT))}`)
  const link = `<${message.runUrl}|View the run>`
  const body = fitLines(`*${slackEscape(message.title)}*`, items, link, SLACK_SECTION_LIMIT)
  return {
    text: fitLines(slackEscape(message.title), items, message.runUrl, SLACK_SECTION_LIMIT),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: body } }]
  }
}

/** The report itself, for any other receiver: nothing cut, since no limit is known. */
export function jsonPayload(message: Message, verdict: FleetVerdict, run: RunFacts): Record<string, unknown> {
  return {
    source: 'nix-cachix-build',
    kind: message.kind,
    title: message.title,
    passed: verdict.passed,
    repository: run.repository,
    ref: run.refName,
    sha: run.sha,
    run_url: run.runUrl,
    cache: run.cache,
    problems: verdict.problems,
    hosts: verdict.hosts.map(h => ({
      host: h.host,
      system: h.system,
      result: h.result,
      leg: h.leg,
      cache: h.cache,
      toplevel: h.toplevel
    })),
    rows: verdict.rows.map(r => ({ ...r.row, leg: r.leg })),
    findings: verdict.findings
  }
}

export function payloadFor(format: WebhookFormat, message: Message, verdict: FleetVerdict, run: RunFacts): unknown {
  if (format === 'discord') return discordPayload(message)
  if (format === 'slack') return slackPayload(message)
  return jsonPayload(message, verdict, run)
}
