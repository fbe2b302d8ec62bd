import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkOutForRunner, type StepResult } from '../../harness/runner.js'
import { pushRunEnv, reportStep, writePushEvent } from '../support/report.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'
import { startArtifactService, type ArtifactService } from '../support/artifact-service.js'
import { pushRun, startGitHubRepoApi, type GitHubRepoStandIn } from '../support/github-repo-api.js'
import { startWebhookReceiver, type ReceiverFormat, type WebhookReceiver } from '../support/webhook-receiver.js'

// The report's notifications, run as a runner runs the bundle, into receivers that refuse what
// Discord and Slack refuse: a fleet of 150 hosts none of which is in the cache.
type Server = Awaited<ReturnType<typeof startTestServer>>
const CACHE = 'fleet'
const HOSTS = 150
const SHA = 'c'.repeat(40)
const hash = (i: number): string =>
  String(i)
    .padStart(32, '0')
    .replace(/[eotu]/g, 'a')
const toplevels = Object.fromEntries(
  Array.from({ length: HOSTS }, (_, i) => [`host-${i}`, `/nix/store/${hash(i)}-nixos-system-host-${i}`])
)

let server: Server
let artifacts: ArtifactService
let api: GitHubRepoStandIn
let hooks: WebhookReceiver
let workspace: string
let event: string

beforeAll(async () => {
  server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  artifacts = await startArtifactService()
  api = await startGitHubRepoApi('alice/seeds')
  hooks = await startWebhookReceiver()
  api.commits.set(SHA, [])
  api.runs.push(pushRun(9, SHA))
  workspace = await mkdtemp(join(tmpdir(), 'report-workspace-'))
  event = await writePushEvent(workspace)
  await checkOutForRunner(workspace)
})

afterAll(async () => {
  await Promise.all([server.close(), artifacts.close(), api.close(), hooks.close()])
})

async function report(format: ReceiverFormat): Promise<StepResult> {
  return reportStep(
    workspace,
    {
      needs: JSON.stringify({
        plan: { result: 'success', outputs: { toplevels: JSON.stringify(toplevels) } },
        build: { result: 'skipped', outputs: {} }
      }),
      cachix: CACHE,
      'cachix-url': server.url,
      'notify-url': hooks.urls[format],
      'notify-format': format,
      'promote-ref': 'cached'
    },
    { ...artifacts.jobEnv('run-9', 'report'), ...pushRunEnv(api, 9, SHA, event) }
  )
}

describe('notifications within each service’s documented limits', () => {
  it('Discord: one message of at most 2,000 characters, the rest "and N more", the run linked', async () => {
    const result = await report('discord')
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('::error::the fleet is not fully cached: host-0:')
    // Eight problems annotated, then one line for the rest: GitHub shows ten error annotations a step.
    expect(result.stdout.match(/^::error::/gm)).toHaveLength(10)
    expect(result.stdout).toContain(`::error::…and ${HOSTS - 8} more problems: see the job summary`)
    const [sent] = hooks.received.filter(r => r.format === 'discord')
    expect(sent.status).toBe(204)
    const { content } = sent.body as { content: string }
    expect([...content].length).toBeLessThanOrEqual(2000)
    const shown = content.split('\n').filter(l => l.startsWith('- host-')).length
    expect(content).toContain(`…and ${HOSTS - shown} more`)
    expect(content.endsWith('https://github.com/alice/seeds/actions/runs/9')).toBe(true)
    // Masked first (the runner hides it from then on), and never printed.
    const lines = result.stdout.split('\n')
    const masks = lines.findIndex(l => !l.startsWith('::add-mask::'))
    expect(lines.slice(0, masks)).toContain(`::add-mask::${hooks.urls.discord}`)
    expect(lines.slice(masks).filter(l => l.includes('secret-token'))).toEqual([])
    expect(api.refs.size).toBe(0)
  })

  it('Slack: one section of at most 3,000 characters, accepted', async () => {
    await report('slack')
    const [sent] = hooks.received.filter(r => r.format === 'slack')
    expect(sent.status).toBe(200)
    const text = (sent.body as { blocks: { text: { text: string } }[] }).blocks[0].text.text
    expect([...text].length).toBeLessThanOrEqual(3000)
    expect(text).toMatch(/…and \d+ more\n<https:\/\/github.com\/alice\/seeds\/actions\/runs\/9\|View the run>$/)
  })

  it('JSON: the whole report, every host', async () => {
    await report('json')
    const [sent] = hooks.received.filter(r => r.format === 'json')
    const body = sent.body as { kind: string; hosts: { host: string; result: string }[]; problems: string[] }
    expect(body.kind).toBe('failure')
    expect(body.hosts).toHaveLength(HOSTS)
    expect(body.problems).toHaveLength(HOSTS)
    expect(new Set(body.hosts.map(h => h.result))).toEqual(new Set(['not-verified']))
  })

  it('a receiver that refuses is a warning; the verdict alone fails the job', async () => {
    hooks.failNext = 2
    const result = await report('json')
    expect(result.stdout).toMatch(
      /::warning::the notification could not be delivered: 127\.0\.0\.1:\d+ answered HTTP 500/
    )
    expect(result.code).toBe(1)
  })
})
