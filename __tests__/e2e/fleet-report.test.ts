import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { buildOffline } from '../../harness/offline-build.js'
import type { StepResult } from '../../harness/runner.js'
import { startArtifactService, type ArtifactService } from '../support/artifact-service.js'
import { pushRun, startGitHubRepoApi, type GitHubRepoStandIn } from '../support/github-repo-api.js'
import { CACHE, evalRaw, leg, plan, testServer } from '../support/legs.js'
import { pushRunEnv, reportStep, writePushEvent } from '../support/report.js'
import { makePusher } from '../support/push.js'
import { WRITE_TOKEN } from '../support/server.js'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js'

// The fleet's verdict, as a workflow gives it: the planner, one leg per row of its matrix (each
// uploading its record to the run's artifacts), then the report job, against the local Cachix,
// an artifact service, GitHub's REST API and a webhook receiver, all stand-ins. One fleet, three
// runs of the workflow: broken, fixed, and green again.
const sha = (c: string): string => c.repeat(40)
const [BEFORE, BROKEN, FIXED] = [sha('a'), sha('b'), sha('c')]
const CHECKS = { 'x86_64-linux': { fmt: {}, lint: { fail: true } } }

let artifacts: ArtifactService
let api: GitHubRepoStandIn
let hooks: WebhookReceiver
let flake: string
let eventPath: string

beforeAll(async () => {
  artifacts = await startArtifactService()
  api = await startGitHubRepoApi('alice/seeds')
  hooks = await startWebhookReceiver()
  api.commits.set(BEFORE, []).set(BROKEN, [BEFORE]).set(FIXED, [BROKEN])
  // Laptops follow cached, which points at an older fully cached commit.
  api.refs.set('refs/heads/cached', BEFORE)
  flake = await fleetFlake({ hosts: { ok: {}, broken: { fail: true }, cached: {} }, checks: CHECKS })
  eventPath = await writePushEvent(flake)
})

afterAll(async () => {
  await Promise.all([artifacts.close(), api.close(), hooks.close()])
})

interface WorkflowRun {
  plan: StepResult
  /** The legs, by their row: a host's name, or checks. */
  legs: Map<string, StepResult>
  report: StepResult
}

function githubEnv(run: number, head: string): Record<string, string> {
  return pushRunEnv(api, run, head, eventPath)
}

/** The report job alone, with the needs a workflow gives it. */
async function reportJob(
  server: ReturnType<typeof testServer>,
  run: number,
  head: string,
  needs: Record<string, unknown>,
  artifactsOf = `run-${run}`
): Promise<StepResult> {
  const inputs = {
    needs: JSON.stringify(needs, null, 2),
    cachix: CACHE,
    'cachix-url': server.url,
    'notify-url': hooks.urls.json,
    'promote-ref': 'cached'
  }
  return reportStep(flake, inputs, { ...artifacts.jobEnv(artifactsOf, 'report'), ...githubEnv(run, head) })
}

/** plan → a leg per row → report, as one run of the example workflow; the run then ends as its report did. */
async function workflowRun(
  server: ReturnType<typeof testServer>,
  run: number,
  head: string,
  legInputs: Record<string, string> = {}
): Promise<WorkflowRun> {
  api.runs.push(pushRun(run, head))
  const planned = await plan(server, flake, { checks: 'true' })
  expect(planned.code).toBe(0)
  const rows = (JSON.parse(planned.outputs['build-matrix']) as { include: Record<string, string>[] }).include
  const legs = new Map<string, StepResult>()
  for (const row of rows) {
    const inputs = { system: row.system, hosts: row.host ?? '', checks: String(row.kind === 'checks'), ...legInputs }
    const env = { ...artifacts.jobEnv(`run-${run}`, `build-${row.host ?? 'checks'}`), ...githubEnv(run, head) }
    legs.set(row.host ?? 'checks', (await leg(server, flake, inputs, undefined, env)).main)
  }
  const needs = {
    plan: { result: 'success', outputs: planned.outputs },
    prewarm: { result: 'skipped', outputs: {} },
    build: { result: [...legs.values()].every(l => l.code === 0) ? 'success' : 'failure', outputs: {} }
  }
  const report = await reportJob(server, run, head, needs)
  Object.assign(api.runs.at(-1)!, { status: 'completed', conclusion: report.code === 0 ? 'success' : 'failure' })
  return { plan: planned, legs, report }
}

describe('the report: one verdict for the fleet, a notification, the branch laptops follow', () => {
  const server = testServer()
  let broken: WorkflowRun
  let fixed: WorkflowRun

  beforeAll(async () => {
    // One host is in the cache already (a desktop pushed it): the plan gives it no leg.
    const cachedHost = await buildOffline(`${flake}#nixosConfigurations.cached.config.system.build.toplevel`)
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: CACHE, authToken: WRITE_TOKEN })
    pusher.add([cachedHost])
    await pusher.drain()
    broken = await workflowRun(server, 10, BROKEN)
  }, 600_000)

  it('a leg fails and a host is cached: each is named, the report fails, notifies once, moves no ref', () => {
    expect(JSON.parse(broken.plan.outputs['cached-hosts'])).toEqual(['cached'])
    // Every host's system, the cached one's too: it has no row of the matrix to say it.
    expect(JSON.parse(broken.plan.outputs.systems)).toEqual({
      ok: 'x86_64-linux',
      broken: 'x86_64-linux',
      cached: 'x86_64-linux'
    })
    expect([...broken.legs.keys()].sort()).toEqual(['broken', 'checks', 'ok'])
    expect(broken.legs.get('ok')!.code).toBe(0)
    expect(broken.legs.get('broken')!.code).toBe(1)
    const { report } = broken
    expect(report.code).toBe(1)
    const summary = report.summary
    expect(summary).toContain('## ❌ Fleet: 1 of 3 hosts is not ready')
    expect(summary).toMatch(/\| ok \| x86_64-linux \| ✅ built here \| ok \| whole closure present \|/)
    expect(summary).toMatch(
      /\| cached \| x86_64-linux \| ⏭️ already cached \| no leg \(cached when planned\) \| whole closure present \|/
    )
    expect(summary).toMatch(
      /\| broken \| x86_64-linux \| ❌ failed \| failed \| `\/nix\/store\/\S+-nixos-system-broken-\S+` missing \|/
    )
    expect(summary).toContain('| checks (x86_64-linux) | x86_64-linux | failed |')
    expect(summary).toContain('`cached` not moved: not every host is verified in the cache.')
    expect(report.stdout).toMatch(/::error::broken: its leg failed; \/nix\/store\/\S+ is not in the cache/)
    expect(report.stdout).toContain('::error::checks (x86_64-linux): a check failed')
    expect(report.outputs.passed).toBe('false')
    const sent = hooks.received.filter(r => (r.body as { sha?: string }).sha === BROKEN)
    expect(sent.map(r => (r.body as { kind: string }).kind)).toEqual(['failure'])
    const payloadHosts = (sent[0].body as { hosts: Record<string, unknown>[] }).hosts
    expect(payloadHosts.find(h => h.host === 'cached')).toMatchObject({
      system: 'x86_64-linux',
      result: 'cached',
      leg: 'none'
    })
    expect(api.refs.get('refs/heads/cached')).toBe(BEFORE)
  })

  it('a checks row with one failing check: the error names it, the row fails, the hosts’ legs do not', () => {
    const checks = broken.legs.get('checks')!
    expect(checks.code).toBe(1)
    expect(checks.stdout).toContain('checks.x86_64-linux: fmt, lint')
    expect(checks.stdout).toMatch(/::error::.*check-lint-/)
    expect(checks.stdout).not.toMatch(/::error::.*check-fmt-/)
    expect(broken.legs.get('ok')!.code).toBe(0)
  })

  it('after the fix: the report passes, notifies "recovered" once, and fast-forwards cached', async () => {
    const fleet = JSON.parse(await readFile(join(flake, 'fleet.json'), 'utf8')) as Record<string, unknown>
    await writeFile(
      join(flake, 'fleet.json'),
      JSON.stringify({
        ...fleet,
        hosts: { ok: {}, broken: {}, cached: {} },
        checks: { 'x86_64-linux': { fmt: {}, lint: {} } }
      })
    )
    // The legs diff against the broken commit's hosts (the planner's toplevels, as a pull request's legs would).
    fixed = await workflowRun(server, 11, FIXED, { 'diff-base': broken.plan.outputs.toplevels })
    expect([...fixed.legs.keys()].sort()).toEqual(['broken', 'checks'])
    expect(fixed.report.code).toBe(0)
    expect(fixed.report.summary).toContain('## ✅ Fleet: every host is in the cache (3 of 3)')
    expect(fixed.report.summary).toContain(`\`cached\` moved from ${BEFORE.slice(0, 12)} to ${FIXED.slice(0, 12)}.`)
    expect(fixed.report.outputs.promoted).toBe(FIXED)
    // The legs' closure diffs, gathered in the fleet's summary.
    expect(fixed.report.summary).toMatch(/### Closure diffs\n\n#### [^\n]*broken/)
    expect(api.refs.get('refs/heads/cached')).toBe(FIXED)
    const sent = hooks.received.filter(r => (r.body as { sha?: string }).sha === FIXED)
    expect(sent.map(r => (r.body as { kind: string }).kind)).toEqual(['recovered'])
    // GitHub itself refuses anything but a fast-forward: the update was sent with force false.
    const update = api.requests.find(
      r => r.method === 'PATCH' && decodeURIComponent(r.path).endsWith('/git/refs/heads/cached')
    )
    expect(update?.body).toEqual({ sha: FIXED, force: false })
  }, 600_000)

  it('a green run after a green run sends nothing, and never moves cached back', async () => {
    api.runs.push(pushRun(12, BROKEN))
    const needs = {
      plan: { result: 'success', outputs: fixed.plan.outputs },
      build: { result: 'success', outputs: {} }
    }
    const before = hooks.received.length
    // A re-run of an older commit: every host is cached, but cached stays where it is.
    const again = await reportJob(server, 12, BROKEN, needs, 'run-11')
    expect(again.code).toBe(0)
    expect(hooks.received.length).toBe(before)
    expect(again.stdout).toContain('nothing to notify')
    expect(again.summary).toContain('`cached` not moved:')
    expect(api.refs.get('refs/heads/cached')).toBe(FIXED)
  })

  it('a leg whose runner died leaves no record: named so, and its host still gets the cache verdict', async () => {
    api.runs.push(pushRun(14, FIXED))
    // Run 14's legs left nothing (their runners died): its artifacts are empty, and the build job failed.
    const needs = {
      plan: { result: 'success', outputs: fixed.plan.outputs },
      build: { result: 'failure', outputs: {} }
    }
    const report = await reportJob(server, 14, FIXED, needs)
    expect(report.code).toBe(1)
    expect(report.stdout).toContain(
      '::error::broken: its leg left no record: its runner died, it timed out, or it never started; its closure is in the cache all the same'
    )
    expect(report.summary).toMatch(
      /\| broken \| x86_64-linux \| ❌ failed \| left no record[^|]*\| whole closure present \|/
    )
    expect(report.summary).toMatch(/\| ok \| x86_64-linux \| ⏭️ already cached \|/)
  })

  it('a leg that stopped early records its row as failed, not as a runner that died', async () => {
    api.runs.push(pushRun(15, FIXED))
    // The cache it names does not exist: the leg fails in its Cachix phase, before anything is built.
    const env = { ...artifacts.jobEnv('run-15', 'build-broken'), ...githubEnv(15, FIXED) }
    const stopped = await leg(
      server,
      flake,
      { hosts: 'broken', system: 'x86_64-linux', cachix: 'no-such-cache' },
      undefined,
      env
    )
    expect(stopped.main.code).toBe(1)
    const needs = {
      plan: { result: 'success', outputs: fixed.plan.outputs },
      build: { result: 'failure', outputs: {} }
    }
    const report = await reportJob(server, 15, FIXED, needs)
    expect(report.code).toBe(1)
    expect(report.stdout).toContain('::error::broken: its leg failed; its closure is in the cache all the same')
    expect(report.summary).toMatch(/- ❌ broken: [^\n]*no-such-cache/)
  })

  it('a path the cache lost after its leg said ok is caught: the report fails and names it', async () => {
    const etc = await evalRaw(flake, 'nixosConfigurations.broken.config.system.build.toplevel.etc.outPath')
    await rm(join(server.dataDir, CACHE, `${etc.slice(11, 43)}.narinfo`))
    const needs = {
      plan: { result: 'success', outputs: fixed.plan.outputs },
      build: { result: 'success', outputs: {} }
    }
    // Run 11's records (a re-run's report reads the run's artifacts): broken's leg said ok.
    api.runs.push(pushRun(13, FIXED))
    const report = await reportStep(
      flake,
      { needs: JSON.stringify(needs), cachix: CACHE, 'cachix-url': server.url },
      { ...artifacts.jobEnv('run-11', 'report'), ...githubEnv(13, FIXED) }
    )
    expect(report.code).toBe(1)
    expect(report.stdout).toMatch(
      new RegExp(
        `::error::the fleet is not fully cached: broken: ${etc} \\(needed by \\S+\\) is not in the cache, although its leg reported ok`
      )
    )
    expect(report.summary).toMatch(/\| broken \| x86_64-linux \| ❌ not verified \| ok \|/)
  })
})
