import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { DefaultArtifactClient } from '@actions/artifact'
import * as github from '@actions/github'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { uploadLegRecord } from '../../src/action/phases/leg-record.js'
import { previousFleetOutcome, promoteRef, PromotionError } from '../../src/fleet/github.js'
import { readLegRecords } from '../../src/fleet/leg-records.js'
import { postNotification } from '../../src/fleet/notify.js'
import { discordPayload, messageOf } from '../../src/report/notification.js'
import type { LegRecord } from '../../src/report/leg-record.js'
import { startArtifactService, type ArtifactService } from '../support/artifact-service.js'
import { pushRun, startGitHubRepoApi, type GitHubRepoStandIn, type StandInRun } from '../support/github-repo-api.js'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js'

const REPO = { owner: 'alice', repo: 'seeds' }
const sha = (c: string): string => c.repeat(40)
let api: GitHubRepoStandIn
let octokit: ReturnType<typeof github.getOctokit>
let hooks: WebhookReceiver
let artifacts: ArtifactService
let dir: string
const saved = { ...process.env }

beforeAll(async () => {
  api = await startGitHubRepoApi('alice/seeds')
  octokit = github.getOctokit('job-token', { baseUrl: api.url })
  hooks = await startWebhookReceiver()
  artifacts = await startArtifactService()
  dir = mkdtempSync(join(tmpdir(), 'report-effects-'))
  // a ← b ← c on main; e branches off a.
  api.commits
    .set(sha('a'), [])
    .set(sha('b'), [sha('a')])
    .set(sha('c'), [sha('b')])
    .set(sha('e'), [sha('a')])
})

afterAll(async () => {
  process.env = saved
  rmSync(dir, { recursive: true, force: true })
  await Promise.all([api.close(), hooks.close(), artifacts.close()])
})

describe('promoteRef: fast-forward only, never backwards', () => {
  it('creates the branch, fast-forwards it, and never moves it back or sideways', async () => {
    expect(await promoteRef(octokit, REPO, 'cached', sha('b'))).toEqual({
      action: 'create',
      ref: 'cached',
      to: sha('b')
    })
    expect(api.refs.get('refs/heads/cached')).toBe(sha('b'))
    expect(await promoteRef(octokit, REPO, 'cached', sha('c'))).toMatchObject({ action: 'update', from: sha('b') })
    expect(api.refs.get('refs/heads/cached')).toBe(sha('c'))
    expect(await promoteRef(octokit, REPO, 'cached', sha('b'))).toMatchObject({
      action: 'none',
      reason: /never moves back/
    })
    expect(await promoteRef(octokit, REPO, 'refs/heads/cached', sha('e'))).toMatchObject({
      action: 'none',
      reason: /fast-forward only/
    })
    expect(api.refs.get('refs/heads/cached')).toBe(sha('c'))
    const writes = api.requests.filter(r => r.method !== 'GET')
    expect(writes.map(r => [r.method, decodeURIComponent(r.path), r.body?.force])).toEqual([
      ['POST', '/repos/alice/seeds/git/refs', undefined],
      ['PATCH', '/repos/alice/seeds/git/refs/heads/cached', false]
    ])
  })

  it('a token without contents: write fails with what to do', async () => {
    api.permissions.contentsWrite = false
    try {
      await expect(promoteRef(octokit, REPO, 'laptops', sha('c'))).rejects.toThrow(PromotionError)
      await expect(promoteRef(octokit, REPO, 'laptops', sha('c'))).rejects.toThrow(/permissions: contents: write/)
    } finally {
      api.permissions.contentsWrite = true
    }
  })
})

describe('previousFleetOutcome', () => {
  const run = (id: number, run_number: number, conclusion: string | null, more: Partial<StandInRun> = {}): StandInRun =>
    pushRun(id, sha('c'), {
      run_number,
      status: conclusion === null ? 'in_progress' : 'completed',
      conclusion,
      ...more
    })

  it('passes over cancelled runs and other branches and events', async () => {
    api.runs.push(
      run(101, 1, 'failure'),
      run(102, 2, 'success', { head_branch: 'develop' }),
      run(103, 3, 'success', { event: 'pull_request' }),
      run(104, 4, 'cancelled'),
      run(105, 5, null)
    )
    expect(await previousFleetOutcome(octokit, REPO, 105, 1)).toBe('failed')
  })

  it('a re-run looks at its own earlier attempt first', async () => {
    api.runs.push(run(106, 6, null, { run_attempt: 2, attempts: { 1: 'failure' } }))
    expect(await previousFleetOutcome(octokit, REPO, 106, 2)).toBe('failed')
    api.runs.push(run(107, 7, null, { run_attempt: 2, attempts: { 1: 'cancelled' } }))
    // Attempt 1 was cancelled: the run before (run 5 is still going, run 4 cancelled, run 1 failed) decides.
    expect(await previousFleetOutcome(octokit, REPO, 107, 2)).toBe('failed')
  })
})

describe('postNotification', () => {
  const verdict = { passed: false, hosts: [], rows: [], findings: [], diffs: [], problems: ['server: its leg failed'] }
  const facts = {
    repository: 'alice/seeds',
    refName: 'main',
    sha: sha('c'),
    runUrl: 'https://github.com/alice/seeds/actions/runs/1',
    cache: 'seeds'
  }

  it('delivers a Discord payload the service accepts', async () => {
    expect(await postNotification(hooks.urls.discord, discordPayload(messageOf('failure', verdict, facts)))).toEqual({
      ok: true
    })
    expect(hooks.received.at(-1)?.status).toBe(204)
  })

  it('says why a refused payload was refused, naming the host and never the token', async () => {
    const delivery = await postNotification(hooks.urls.discord, { content: 'x'.repeat(2001) })
    expect(delivery.ok).toBe(false)
    expect(delivery.problem).toMatch(/^127\.0\.0\.1:\d+ answered HTTP 400 .*Must be 2000 or fewer in length/)
    expect(delivery.problem).not.toContain('secret-token')
    expect(hooks.received.at(-1)?.status).toBe(400)
  })

  it('tries once more after a 5xx', async () => {
    hooks.failNext = 1
    expect(await postNotification(hooks.urls.json, { kind: 'failure' })).toEqual({ ok: true })
    expect(hooks.received.slice(-2).map(r => r.status)).toEqual([500, 200])
  })

  it('a receiver that is not there is a problem, not an exception', async () => {
    const delivery = await postNotification('http://127.0.0.1:9/hook/secret-token', {}, 1)
    expect(delivery).toMatchObject({ ok: false, problem: expect.stringMatching(/^127\.0\.0\.1:9 did not answer/) })
    expect(delivery.problem).not.toContain('secret-token')
  })
})

describe('leg records through the artifact service', () => {
  const RUN = 'run-backend-1'
  const record = (host: string, attempt: number, status: LegRecord['status']): LegRecord => ({
    version: 1,
    row: { kind: 'host', host, system: 'x86_64-linux' },
    attempt,
    status,
    results: [],
    findings: [],
    diffs: []
  })

  it('the report reads the latest attempt of each leg', async () => {
    const client = new DefaultArtifactClient()
    Object.assign(process.env, artifacts.jobEnv(RUN, 'desktop-1'))
    await uploadLegRecord(client, record('desktop', 1, 'failed'), join(dir, 'd1'))
    Object.assign(process.env, artifacts.jobEnv(RUN, 'server-1'))
    await uploadLegRecord(client, record('home:alice@nas', 1, 'ok'), join(dir, 's1'))
    Object.assign(process.env, artifacts.jobEnv(RUN, 'desktop-2'))
    await uploadLegRecord(client, record('desktop', 2, 'ok'), join(dir, 'd2'))

    Object.assign(process.env, artifacts.jobEnv(RUN, 'report'))
    const { records, problems } = await readLegRecords(client, join(dir, 'read'))
    expect(problems).toEqual([])
    expect([...records.entries()].map(([key, r]) => [key, r.attempt, r.status]).sort()).toEqual([
      ['host desktop', 2, 'ok'],
      ['host home:alice@nas', 1, 'ok']
    ])
  })

  it('an artifact service out of reach leaves no records and says so', async () => {
    // Unreachable is what the client gives up on at once; a 503 is retried for some 25 s.
    process.env.ACTIONS_RESULTS_URL = 'http://127.0.0.1:9/'
    const { records, problems } = await readLegRecords(new DefaultArtifactClient(), join(dir, 'down'))
    expect(records.size).toBe(0)
    expect(problems[0]).toMatch(/the run's artifacts could not be listed/)
  })
})
