import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { runCommand } from '../../src/util/process.js'
import { FAKE_GITHUB_TOKEN, newJob, runStep, type RunnerFiles, type StepResult } from '../../harness/runner.js'
import { withoutAarch64Binfmt } from '../../harness/hosted/binfmt.js'
import { hostedSession } from '../../harness/hosted/session.js'
import { sampleFlake } from '../../harness/sample-flake.js'
import { closureOf, realiseInFreshStore } from '../support/nix.js'
import { filesWithSecrets, leaksInStep } from '../support/secrets.js'
import { CACHE, inCache, leg, type Server, testServer } from '../support/legs.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

describe('the action, run as a GitHub runner runs it, against the local Cachix server', () => {
  let server: Server
  let flake: string
  const legs: Record<string, { main: StepResult; post: StepResult; job: RunnerFiles }> = {}

  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
    flake = await sampleFlake()
    legs.x86 = await leg(server, flake, { system: 'x86_64-linux' })
    // A GitHub-hosted x86 runner has no aarch64 interpreter registered: the arm leg starts from none.
    legs.arm = await withoutAarch64Binfmt(() => leg(server, flake, { system: 'aarch64-linux' }))
  }, 600_000)
  afterAll(async () => server.close())

  it("builds each leg's hosts, pushes them and reports ok", () => {
    for (const [name, hosts] of [
      ['x86', ['alpha', 'beta']],
      ['arm', ['arm']]
    ] as const) {
      const { main } = legs[name]
      expect(main.code).toBe(0)
      expect(main.outputs.status).toBe('ok')
      expect(Object.keys(JSON.parse(main.outputs.hosts) as object).sort()).toEqual([...hosts])
      expect(main.outputs.coverage).toBe('100%')
      expect(Number(main.outputs.pushed)).toBeGreaterThan(0)
      expect(main.summary).toContain(`| ${hosts[0]} |`)
      // Each host's row carries its own coverage, derived from the final check against the cache.
      for (const host of hosts) expect(main.summary).toMatch(new RegExp(`\\| ${host} \\|.*\\| 100% \\|\n`))
    }
    // No Actions cache service here: the flake input cache says so and the run goes on.
    expect(legs.x86.main.stdout).toContain(
      'Flake input cache: the Actions cache service is not available here; inputs are fetched'
    )
    // QEMU: the arm leg ran on this x86 machine with no aarch64 entry, so it registered the F-flag interpreter.
    expect(legs.arm.main.stdout).toMatch(/Registered \/usr\/bin\/qemu-aarch64\S* for aarch64 ELF with flags F/)
  })

  it('pushed exactly what it says: the counts add up to what the server holds', async () => {
    const narinfos = (await readdir(join(server.dataDir, CACHE))).filter(f => f.endsWith('.narinfo'))
    expect(Number(legs.x86.main.outputs.pushed) + Number(legs.arm.main.outputs.pushed)).toBe(narinfos.length)
    expect(Number(legs.x86.main.outputs.built)).toBe(6)
    expect(Number(legs.arm.main.outputs.built)).toBe(4)
  })

  it("a fresh store substitutes every host's toplevel closure with 0 builds", async () => {
    const toplevels = [legs.x86, legs.arm].flatMap(l =>
      Object.values(JSON.parse(l.main.outputs.hosts) as Record<string, string>)
    )
    expect(toplevels).toHaveLength(3)
    const fresh = await realiseInFreshStore(server.cacheUrl(CACHE), server.publicKeys(CACHE), toplevels)
    expect(fresh.result.code).toBe(0)
    expect(fresh.result.stderr).not.toMatch(/building '/)
    expect((await closureOf(toplevels, fresh.store)).sort()).toEqual((await closureOf(toplevels)).sort())
  })

  it('a second run skips every host as cached, builds nothing and says so', async () => {
    const again = await leg(server, flake, { system: 'x86_64-linux' })
    expect(again.main.code).toBe(0)
    expect(JSON.parse(again.main.outputs['skipped-hosts'])).toEqual(['alpha', 'beta'])
    expect(again.main.outputs.built).toBe('0')
    expect(again.main.outputs.pushed).toBe('0')
    expect(again.main.stdout).toContain('Nothing to build.')
    expect(again.main.summary).toContain('cached, not rebuilt')
    process.stdout.write(`second run took ${again.main.seconds.toFixed(1)} s\n`)
  })

  it('the post step leaves nix.conf as it was and no work files behind', async () => {
    for (const { job } of Object.values(legs)) {
      expect(await readFile(join(job.nixConfDir, 'nix.conf'), 'utf8')).toBe(job.baseNixConf)
      expect(await readdir(job.runnerTemp)).toEqual([])
    }
  })

  it("on a hosted runner the action writes the daemon's nix.conf through sudo and restarts it through systemctl", async () => {
    const hosted = Object.values(legs).filter(l => l.job.profile === 'hosted')
    for (const { main, job } of hosted) {
      // The runner cannot write this file itself: it belongs to root.
      expect((await stat(join(job.nixConfDir, 'nix.conf'))).uid).toBe(0)
      expect(main.stdout).toContain(`Wrote the nix-cachix-build settings to ${join(job.nixConfDir, 'nix.conf')}`)
      expect(main.stdout).toContain('Restarted nix-daemon to load them')
    }
    // main loads the settings and post takes them out again: two restarts per job.
    if (hosted.length > 0)
      expect(await (await hostedSession()).systemctlRestarts()).toBeGreaterThanOrEqual(2 * hosted.length)
  })

  it('no secret appears in any output, summary, log, state or leftover file', async () => {
    const secrets = [WRITE_TOKEN, FAKE_GITHUB_TOKEN]
    for (const { main, post, job } of Object.values(legs)) {
      expect(leaksInStep(main, secrets)).toEqual([])
      expect(leaksInStep(post, secrets)).toEqual([])
      expect(await filesWithSecrets(job.dir, secrets)).toEqual([])
      expect(await filesWithSecrets(job.nixConfDir, secrets)).toEqual([])
      if (job.profile === 'hosted') expect(await filesWithSecrets(job.home, secrets)).toEqual([])
    }
  })
})

describe('the action when things go wrong', () => {
  const server = testServer()

  it('a host that fails halfway: everything that built is in the cache, status and summary name the failure', async () => {
    const flake = await sampleFlake({ broken: true })
    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(1)
    expect(main.outputs.status).toBe('failed')
    expect(JSON.parse(main.outputs['failed-hosts'])).toEqual(['broken'])
    expect(main.summary).toMatch(/\| broken \| x86_64-linux \| ❌ failed/)
    expect(main.stdout).toMatch(/::error::build failed for broken/)
    // Why: the failing builder's own output, in the summary, and an annotation naming its derivation.
    expect(main.summary).toMatch(
      /<code>broken-broken-[^<]+<\/code>: last line of <code>nix log [^<]+<\/code>[\s\S]*about to fail/
    )
    expect(main.stdout).toMatch(/::error::derivation broken-broken-\S+ failed to build/)
    const hosts = JSON.parse(main.outputs.hosts) as Record<string, string>
    for (const name of ['alpha', 'beta']) expect(await inCache(server, hosts[name])).toBe(true)
    // The broken host's own dependencies that did build (its etc, the shared base) were pushed.
    const { stdout } = await runCommand('nix-store', [
      '--query',
      '--references',
      (
        await runCommand('nix', [
          '--extra-experimental-features',
          'nix-command flakes',
          'eval',
          '--raw',
          `${flake}#nixosConfigurations.broken.config.system.build.toplevel.drvPath`
        ])
      ).stdout
    ])
    const builtDeps = []
    for (const drv of stdout.split('\n').filter(l => l.endsWith('.drv'))) {
      for (const out of (await runCommand('nix-store', ['--query', '--outputs', drv])).stdout
        .split('\n')
        .filter(l => l !== '')) {
        if ((await runCommand('nix-store', ['--check-validity', out], { okCodes: [1] })).code === 0) builtDeps.push(out)
      }
    }
    expect(builtDeps.length).toBeGreaterThanOrEqual(2)
    for (const out of builtDeps) expect(await inCache(server, out)).toBe(true)
  })

  it('SIGINT during the build, then the post step: every path that finished building is in the cache', async () => {
    const flake = await sampleFlake({ slow: true })
    const job = await newJob()
    const inputs = {
      cachix: CACHE,
      'cachix-url': server.url,
      'cachix-auth-token': WRITE_TOKEN,
      hosts: 'slow alpha',
      'push-jobs': '1'
    }
    let interrupted = false
    const main = await runStep({
      step: 'main',
      job,
      cwd: flake,
      inputs,
      onStart: child => {
        child.stdout?.on('data', (chunk: Buffer) => {
          if (!interrupted && chunk.toString().includes('sleeping')) {
            interrupted = true
            setTimeout(() => child.kill('SIGINT'), 300)
          }
        })
      }
    })
    expect(interrupted).toBe(true)
    expect(main.code).not.toBe(0)
    const spool = await readFile(join(job.runnerTemp, 'nix-cachix-build', 'built.spool'), 'utf8')
    const builtDrvs = spool
      .split('\n')
      .filter(l => l !== '')
      .map(l => l.split(' ')[0])
    expect(builtDrvs.length).toBeGreaterThanOrEqual(3)
    const post = await runStep({ step: 'post', job, cwd: flake, inputs })
    expect(post.code).toBe(0)
    expect(post.stdout).toContain('Salvage pushed')
    for (const drv of builtDrvs) {
      for (const out of (await runCommand('nix-store', ['--query', '--outputs', drv])).stdout
        .split('\n')
        .filter(l => l !== ''))
        expect(await inCache(server, out)).toBe(true)
    }
    expect(post.summary).toContain('Salvage after an interrupted run')
  })

  it('time-budget stops the build in time to push what was built; the heartbeat reports progress', async () => {
    const flake = await sampleFlake({ slow: true })
    // 1 minute budget, 30 s to drain, 20 s to stop nix: building stops after ~10 s, while the slow host still sleeps.
    const { main } = await leg(server, flake, { hosts: 'slow alpha', 'time-budget': '1', 'drain-timeout': '30' })
    expect(main.code).toBe(1)
    expect(main.seconds).toBeLessThan(60)
    expect(main.outputs.status).toBe('failed')
    expect(JSON.parse(main.outputs['failed-hosts'])).toEqual(['slow'])
    expect(main.stdout).toContain(
      'The time budget is reached: stopping the build so what was built can still be pushed.'
    )
    expect(main.stdout).toMatch(/the time budget of 1 min ran out: slow not finished/)
    expect(main.stdout).toMatch(
      /\[heartbeat \d+ min\] built \d+ derivations, pushed \d+ paths .*, disk free [\d.]+ [KMGT]iB/
    )
    const hosts = JSON.parse(main.outputs.hosts) as Record<string, string>
    expect(await inCache(server, hosts.alpha)).toBe(true)
  }, 120_000)

  it('without a token it builds and pulls, pushes nothing, explains, and does not fail', async () => {
    const flake = await sampleFlake()
    const before = server.stats.completed
    const { main } = await leg(server, flake, { system: 'x86_64-linux', 'cachix-auth-token': '' })
    expect(main.code).toBe(0)
    expect(main.outputs.pushed).toBe('0')
    expect(main.outputs.status).toBe('ok')
    expect(main.outputs.built).toBe('6')
    expect(main.stdout).toMatch(
      /::notice::No cachix-auth-token or cachix-signing-key: pulling from fleet only, nothing is pushed/
    )
    expect(JSON.parse(main.outputs.findings)).toEqual([expect.objectContaining({ level: 'notice' })])
    expect(server.stats.completed).toBe(before)
  })
})
