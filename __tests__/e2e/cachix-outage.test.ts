import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { newJob, REPO, runStep, type StepResult } from '../../harness/runner.js'
import { sampleFlake } from '../../harness/sample-flake.js'
import { closureOf, realiseInFreshStore } from '../support/nix.js'
import { leaksInStep } from '../support/secrets.js'
import { CACHE, inCache, type Server } from '../support/legs.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

// A token the tests revoke, as when the secret is rotated on app.cachix.org and the workflow still has the old one.
const OLD_TOKEN = 'test-token-about-to-be-rotated'
// Cachix's back-off, and the first contact's 15 s / 30 s, a hundred times faster: an outage costs milliseconds here.
const FAST = { NIX_CACHIX_BUILD_RETRY_SCALE: '0.01' }

interface Finding {
  level: string
  message: string
}

function findings(step: StepResult): Finding[] {
  return JSON.parse(step.outputs.findings) as Finding[]
}

function errorLines(step: StepResult): string[] {
  return step.stdout.split('\n').filter(l => l.startsWith('::error::'))
}

function rows(step: StepResult): string[] {
  return (JSON.parse(step.outputs.matrix) as { include: { host: string }[] }).include.map(r => r.host)
}

describe('Cachix down or the token rotated: the legs build anyway, and the report says what to do', () => {
  let server: Server
  let flake: string
  const main = (inputs: Record<string, string>, onStart?: Parameters<typeof runStep>[0]['onStart']) =>
    newJob().then(job =>
      runStep({
        step: 'main',
        job,
        cwd: flake,
        inputs: { cachix: CACHE, 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN, ...inputs },
        env: FAST,
        onStart
      })
    )
  const plan = (inputs: Record<string, string> = {}) =>
    newJob().then(job =>
      runStep({
        step: 'plan',
        job,
        cwd: flake,
        inputs: { cachix: CACHE, 'cachix-url': server.url, ...inputs },
        actionFile: join(REPO, 'plan', 'action.yml'),
        env: FAST
      })
    )

  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN, OLD_TOKEN] }])
    flake = await sampleFlake()
  })
  afterAll(async () => server.close())

  it('down when the job starts, back while it builds: the final push pushes everything, and a fresh store substitutes it', async () => {
    server.setFaults({ unavailable: true })
    let lifted = false
    const step = await main({ hosts: 'alpha', 'drain-timeout': '60' }, child => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (!lifted && /building '\/nix\/store\//.test(chunk.toString())) {
          lifted = true
          server.setFaults(undefined)
        }
      })
    })
    server.setFaults(undefined)
    expect(lifted).toBe(true)
    expect(step.stdout).toMatch(/Cachix cache fleet cannot be reached \(.*HTTP 503.*\): building without it/)
    expect(step.stdout).toContain('Cachix cache fleet answers again: pushing everything this job built')
    expect({ code: step.code, status: step.outputs.status, coverage: step.outputs.coverage }).toEqual({
      code: 0,
      status: 'ok',
      coverage: '100%'
    })
    expect(findings(step)).toContainEqual({
      level: 'notice',
      message: expect.stringMatching(
        /^Cachix cache fleet could not be reached when the job started \(.*HTTP 503.*\): the hosts were built without it, and the push ran once it answered again after the build\.$/
      ) as unknown
    })
    const toplevel = (JSON.parse(step.outputs.hosts) as Record<string, string>).alpha
    const closure = await closureOf([toplevel])
    expect(Number(step.outputs.pushed)).toBe(closure.length)
    const fresh = await realiseInFreshStore(server.cacheUrl(CACHE), server.publicKeys(CACHE), [toplevel])
    expect(fresh.result.code).toBe(0)
    expect(fresh.result.stderr).not.toMatch(/building '/)
    expect(server.stats.incompleteClosures).toEqual([])
  })

  it('down for the whole job: the host is built, status problems, exit 0, and the error names the outage; fail-on-push-error fails the step', async () => {
    server.setFaults({ unavailable: true })
    const faultsBefore = server.stats.faults
    const step = await main({ hosts: 'beta', 'drain-timeout': '3' })
    const strict = await main({ hosts: 'beta', 'drain-timeout': '3', 'fail-on-push-error': 'true' })
    server.setFaults(undefined)
    // It did ask, again and again: the server answered 503 every time.
    expect(server.stats.faults - faultsBefore).toBeGreaterThan(4)

    const outage =
      /^Cachix cache fleet could not be reached, neither when the job started nor during drain-timeout \(3 s\) after the build \(.*HTTP 503.*\): nothing was pushed, so what this job built is not in the cache\. Re-run the job once Cachix answers again/
    expect({ code: step.code, status: step.outputs.status, failed: step.outputs['failed-hosts'] }).toEqual({
      code: 0,
      status: 'problems',
      failed: '[]'
    })
    expect(Number(step.outputs.built)).toBeGreaterThan(0)
    expect(step.outputs.pushed).toBe('0')
    expect(step.summary).toMatch(/\| beta \| x86_64-linux \| ✅ built/)
    expect(findings(step)).toContainEqual({ level: 'error', message: expect.stringMatching(outage) as unknown })
    expect(errorLines(step)).toEqual([expect.stringMatching(/^::error::Cachix cache fleet could not be reached/)])
    expect(step.summary).toContain('could not be reached, neither when the job started')

    expect(strict.code).toBe(1)
    expect(strict.outputs.status).toBe('problems')
    expect(strict.outputs['failed-hosts']).toBe('[]')
    expect(strict.stdout).toMatch(
      /::error::pushing had problems and fail-on-push-error is true: Cachix cache fleet could not be reached/
    )
  })

  it('down when the job starts, the job cancelled mid-build, back for the post step: the salvage pushes what was built', async () => {
    const slow = await sampleFlake({ slow: true })
    const job = await newJob()
    const inputs = { cachix: CACHE, 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN, hosts: 'slow' }
    server.setFaults({ unavailable: true })
    let interrupted = false
    const cancelled = await runStep({
      step: 'main',
      job,
      cwd: slow,
      inputs,
      env: FAST,
      onStart: child => {
        child.stdout?.on('data', (chunk: Buffer) => {
          if (!interrupted && chunk.toString().includes('sleeping')) {
            interrupted = true
            child.kill('SIGINT')
          }
        })
      }
    })
    server.setFaults(undefined)
    expect(interrupted).toBe(true)
    expect(cancelled.code).not.toBe(0)
    expect(cancelled.stdout).toMatch(/Cachix cache fleet cannot be reached \(.*HTTP 503.*\)/)
    const post = await runStep({ step: 'post', job, cwd: slow, inputs, env: FAST })
    expect(post.code).toBe(0)
    // The slow host's etc, and the base and shared layers under it, finished before the cancel: all three are in the cache.
    expect(post.stdout).toMatch(/Salvage pushed 3 paths .*; 0 failed; 0 left/)
    const nonce = await readFile(join(slow, 'nonce.txt'), 'utf8')
    const published = await Promise.all(
      (await readdir(join(server.dataDir, CACHE)))
        .filter(f => f.endsWith('.narinfo'))
        .map(f => readFile(join(server.dataDir, CACHE, f), 'utf8'))
    )
    const names = published.flatMap(text => /^StorePath: \/nix\/store\/[0-9a-z]{32}-(.*)$/m.exec(text)?.[1] ?? [])
    expect(names.filter(name => name.endsWith(nonce)).sort()).toEqual([
      `base-${nonce}`,
      `etc-slow-${nonce}`,
      `shared-${nonce}`
    ])
  })

  it('up when the job starts, down from then on: the build still finishes without the dead substituter, exit 0, and the error says the push is unconfirmed', async () => {
    const fresh = await sampleFlake()
    // Nix has met the cache before (its nix-cache-info is in Nix's own cache), so when it goes down Nix
    // does not skip it from the start: its narinfo queries fail mid-build, which stops Nix 2.8's build.
    await realiseInFreshStore(server.cacheUrl(CACHE), server.publicKeys(CACHE), [`/nix/store/${'0'.repeat(32)}-x`])
    let downed = false
    const job = await newJob()
    const step = await runStep({
      step: 'main',
      job,
      cwd: fresh,
      inputs: { cachix: CACHE, 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN, hosts: 'alpha' },
      env: FAST,
      onStart: child => {
        child.stdout?.on('data', (chunk: Buffer) => {
          if (!downed && chunk.toString().includes(`Cachix cache ${CACHE}: ${server.cacheUrl(CACHE)}`)) {
            downed = true
            server.setFaults({ unavailable: true })
          }
        })
      }
    })
    server.setFaults(undefined)
    expect(downed).toBe(true)
    expect({ code: step.code, status: step.outputs.status, failed: step.outputs['failed-hosts'] }).toEqual({
      code: 0,
      status: 'problems',
      failed: '[]'
    })
    expect(step.summary).toMatch(/\| alpha \| x86_64-linux \| ✅ built/)
    expect(step.stdout).toMatch(
      /::warning::skip-cached: fleet could not be read \(.*HTTP 503.*\), so every host is built/
    )
    expect(errorLines(step)).toContainEqual(
      expect.stringMatching(
        /^::error::the cache stopped answering, so what it lacks of the built closures is unknown \(.*HTTP 503.*\): re-run the job once Cachix answers again/
      )
    )
  })

  it('the planner during an outage: a row for every host, cached or not, and a warning that says why', async () => {
    server.setFaults({ unavailable: true })
    const outage = await plan()
    server.setFaults(undefined)
    expect(outage.code).toBe(0)
    // alpha is in the cache (the first test pushed it), but the plan cannot know that.
    expect(await inCache(server, (JSON.parse(outage.outputs.toplevels) as Record<string, string>).alpha)).toBe(true)
    expect(rows(outage).sort()).toEqual(['alpha', 'arm', 'beta'])
    expect(outage.outputs.any).toBe('true')
    const warning =
      /Cachix cache fleet could not be read \(.*HTTP 503.*\): every host gets a row, because the plan cannot know what is cached\./
    expect(outage.stdout).toMatch(new RegExp(`::warning::${warning.source}`))
    expect(JSON.parse(outage.outputs.findings)).toContainEqual({
      level: 'warning',
      message: expect.stringMatching(warning) as unknown
    })
    expect(outage.summary).toMatch(warning)

    // Cachix back: alpha is cached again.
    expect(rows(await plan()).sort()).toEqual(['arm', 'beta'])
  })

  it('a rotated token: the leg reads the public cache without it (alpha is cached), builds beta, pushes nothing, says to rotate the secret; fail-on-push-error fails', async () => {
    server.revokeToken(CACHE, OLD_TOKEN)
    const narinfos = (await readdir(join(server.dataDir, CACHE))).length
    const step = await main({ hosts: 'alpha beta', 'cachix-auth-token': OLD_TOKEN })
    const strict = await main({ hosts: 'beta', 'cachix-auth-token': OLD_TOKEN, 'fail-on-push-error': 'true' })
    expect((await readdir(join(server.dataDir, CACHE))).length).toBe(narinfos)

    const rotate =
      /^the Cachix auth token was rejected by cache fleet \(HTTP 401: revoked, rotated, or not a token for this cache\): nothing was pushed\. Rotate the CACHIX_AUTH_TOKEN secret \(the one this workflow passes as cachix-auth-token\): create a token with write access to fleet .* The hosts were built pulling from fleet without the token \(it is public\)\.$/
    expect({ code: step.code, status: step.outputs.status, pushed: step.outputs.pushed }).toEqual({
      code: 0,
      status: 'problems',
      pushed: '0'
    })
    expect(JSON.parse(step.outputs['skipped-hosts'])).toEqual(['alpha'])
    expect(step.summary).toMatch(/\| beta \| x86_64-linux \| ✅ built/)
    expect(findings(step)).toContainEqual({ level: 'error', message: expect.stringMatching(rotate) as unknown })
    expect(errorLines(step)).toEqual([expect.stringMatching(/^::error::the Cachix auth token was rejected/)])
    // The cache was a substituter, read without the token: no netrc, and the leg said so.
    expect(step.stdout).toMatch(/building pulling from it \(public, read without the token\), and pushing nothing/)
    expect(leaksInStep(step, [OLD_TOKEN])).toEqual([])

    expect(strict.code).toBe(1)
    expect(strict.outputs.status).toBe('problems')
    expect(strict.stdout).toMatch(
      /::error::pushing had problems and fail-on-push-error is true: the Cachix auth token was rejected by cache fleet/
    )
  })

  it('a wrong cache name is still refused at once, by the leg and by the planner', async () => {
    const job = await newJob()
    const leg = await runStep({
      step: 'main',
      job,
      cwd: flake,
      inputs: { cachix: 'no-such-cache', 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN },
      env: FAST
    })
    expect(leg.code).toBe(1)
    expect(leg.outputs.status).toBe('failed')
    expect(errorLines(leg)).toEqual([
      expect.stringMatching(/^::error::Cachix cache "no-such-cache" does not exist \(HTTP 404 on cache info\)/)
    ])
    // Refused before any host was evaluated or built.
    expect(leg.outputs.hosts).toBeUndefined()
    expect(leg.stdout).not.toMatch(/building '/)
    expect(await readFile(join(job.nixConfDir, 'nix.conf'), 'utf8')).not.toContain('no-such-cache')

    const planned = await plan({ cachix: 'no-such-cache' })
    expect(planned.code).toBe(1)
    expect(planned.stdout).toMatch(/::error::Cachix cache "no-such-cache" does not exist \(HTTP 404 on cache info\)/)
    expect(planned.outputs.matrix).toBeUndefined()
  })
})
