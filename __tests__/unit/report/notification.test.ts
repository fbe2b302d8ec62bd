import { describe, expect, it } from '@jest/globals'
import {
  DISCORD_CONTENT_LIMIT,
  discordPayload,
  fitLines,
  jsonPayload,
  messageOf,
  SLACK_SECTION_LIMIT,
  slackPayload,
  webhookFormat,
  type RunFacts
} from '../../../src/report/notification.js'
import type { FleetVerdict } from '../../../src/report/verdict.js'

const RUN: RunFacts = {
  repository: 'alice/seeds',
  refName: 'main',
  sha: '0123456789abcdef0123456789abcdef01234567',
  runUrl: 'https://github.com/alice/seeds/actions/runs/42',
  cache: 'seeds'
}

function verdict(problems: string[]): FleetVerdict {
  return { passed: problems.length === 0, hosts: [], rows: [], problems, findings: [], diffs: [] }
}

const many = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `host${i}: its leg failed, and /nix/store/${'x'.repeat(32)}-pkg-${i} is missing`)

describe('webhookFormat', () => {
  it.each([
    ['https://discord.com/api/webhooks/1/abc', 'discord'],
    ['https://discordapp.com/api/webhooks/1/abc', 'discord'],
    ['https://canary.discord.com/api/webhooks/1/abc', 'discord'],
    ['https://discord.com/channels/1/2', 'json'],
    ['https://hooks.slack.com/services/T0/B0/xyz', 'slack'],
    ['https://ntfy.example.org/fleet', 'json'],
    ['https://evil.example/discord.com/api/webhooks/1', 'json']
  ])('%s is %s', (url, format) => expect(webhookFormat(new URL(url))).toBe(format))

  it('notify-format overrides the host (a Slack-compatible Mattermost)', () => {
    expect(webhookFormat(new URL('https://chat.example.org/hooks/abc'), 'slack')).toBe('slack')
  })
})

describe('fitLines', () => {
  it('keeps everything that fits', () => {
    expect(fitLines('T', ['a', 'b'], 'L', 100)).toBe('T\na\nb\nL')
  })

  it('cuts the list with "…and N more", never the head or the link', () => {
    const text = fitLines('HEAD', ['1111', '2222', '3333', '4444'], 'LINK', 32)
    expect(text).toBe('HEAD\n1111\n2222\n…and 2 more\nLINK')
    expect(text.length).toBeLessThanOrEqual(32)
  })
})

describe('payloads within their documented limits', () => {
  it('Discord: content at most 2,000 characters, the failures cut with "and N more", the run linked, no pings', () => {
    const message = messageOf('failure', verdict(many(120)), RUN)
    const payload = discordPayload(message)
    expect(payload.content.length).toBeLessThanOrEqual(DISCORD_CONTENT_LIMIT)
    expect(payload.content).toMatch(/\n…and \d+ more\n/)
    expect(payload.content.startsWith('**alice/seeds@main (0123456), seeds: ❌ not fully cached**')).toBe(true)
    expect(payload.content.endsWith(RUN.runUrl)).toBe(true)
    expect(payload.allowed_mentions).toEqual({ parse: [] })
    const shown = payload.content.split('\n').filter(l => l.startsWith('- ')).length
    const more = Number(/…and (\d+) more/.exec(payload.content)![1])
    expect(shown + more).toBe(120)
  })

  it('Discord: a short list is whole, and markdown in names is escaped', () => {
    const payload = discordPayload(messageOf('failure', verdict(['my_host: its leg failed']), RUN))
    expect(payload.content).toBe(
      `**alice/seeds@main (0123456), seeds: ❌ not fully cached**\n- my\\_host: its leg failed\n${RUN.runUrl}`
    )
  })

  it('Slack: one section of at most 3,000 characters, escaped, the run linked', () => {
    const problems = [...many(200), 'a <b> & c']
    const payload = slackPayload(messageOf('failure', verdict(problems), RUN))
    expect(payload.blocks).toHaveLength(1)
    const section = payload.blocks[0].text.text
    expect(section.length).toBeLessThanOrEqual(SLACK_SECTION_LIMIT)
    expect(payload.text.length).toBeLessThanOrEqual(SLACK_SECTION_LIMIT)
    expect(section).toMatch(/\n…and \d+ more\n<https:\/\/github.com\/alice\/seeds\/actions\/runs\/42\|View the run>$/)
    const short = slackPayload(messageOf('failure', verdict(['a <b> & c']), RUN)).blocks[0].text.text
    expect(short).toContain('• a &lt;b&gt; &amp; c')
  })

  it('a long single failure is cut to one line', () => {
    const payload = discordPayload(messageOf('failure', verdict(['x'.repeat(5000) + '\nsecond line']), RUN))
    expect(payload.content).not.toContain('second line')
    expect(payload.content).toMatch(/x…\n/)
  })

  it('recovered and passed messages list nothing but say so', () => {
    expect(discordPayload(messageOf('recovered', verdict([]), RUN)).content).toBe(
      `**alice/seeds@main (0123456), seeds: ✅ recovered: every host is in the cache again**\n${RUN.runUrl}`
    )
    expect(slackPayload(messageOf('passed', verdict([]), RUN)).text).toContain('✅ every host is in the cache')
  })

  it('JSON: the whole report, uncut', () => {
    const v = verdict(many(120))
    const payload = jsonPayload(messageOf('failure', v, RUN), v, RUN)
    expect(payload).toMatchObject({
      source: 'nix-cachix-build',
      kind: 'failure',
      passed: false,
      sha: RUN.sha,
      run_url: RUN.runUrl
    })
    expect(payload.problems).toHaveLength(120)
  })
})
