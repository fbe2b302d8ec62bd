import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { runCommand } from '../../src/util/process.js'
import { FAKE_GITHUB_TOKEN, newJob, runStep, type RunnerFiles, type StepResult } from '../../harness/runner.js'
import { withoutAarch64Binfmt } from '../../harness/hosted/binfmt.js'
import { hostedSession } from '../../harness/hosted/session.js'
import { buildOffline } from '../../harness/offline-build.js'
import { sampleFlake } from '../../harness/sample-flake.js'
import { closureOf, realiseInFreshStore } from '../support/nix.js'
import { filesWithSecrets, leaksInStep } from '../support/secrets.js'
import { CACHE, inCache, leg, type Server } from '../support/legs.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

function errorLines(stdout: string): string[] {
  return stdout.split('\n').filter(l => l.startsWith('::error::'))
}

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
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

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

describe("the hosts' own substituters", () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([
      { name: CACHE, writeTokens: [WRITE_TOKEN] },
      { name: 'upstream', writeTokens: [WRITE_TOKEN] }
    ])
  })
  afterAll(async () => server.close())

  /** The sample fleet whose hosts trust `upstream`, which already has their `base` (gone from this store). */
  async function fleetWithUpstreamBase(): Promise<{ flake: string; base: string }> {
    const settings = {
      substituters: [server.cacheUrl('upstream')],
      'trusted-public-keys': server.publicKeys('upstream')
    }
    const flake = await sampleFlake({ settings })
    const base = await buildOffline(`${flake}#nixosConfigurations.alpha.config.system.build.toplevel.base`)
    const { makePusher } = await import('../support/push.js')
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'upstream', authToken: WRITE_TOKEN })
    pusher.add([base])
    expect((await pusher.drain()).uploaded).toBe(1)
    await runCommand('nix-store', ['--delete', base])
    return { flake, base }
  }

  it('CI downloads what the machines download instead of compiling it', async () => {
    const { flake, base } = await fleetWithUpstreamBase()
    const { main } = await leg(server, flake, { system: 'x86_64-linux', hosts: 'alpha' })
    expect(await inCache(server, base)).toBe(true)
    expect(main.code).toBe(0)
    expect(main.outputs.built).toBe('3')
    expect(Number(main.outputs.substituted)).toBeGreaterThanOrEqual(1)
    expect(main.outputs.coverage).toBe('100%')
  })

  it('with use-host-substituters false the same path is compiled', async () => {
    const { flake } = await fleetWithUpstreamBase()
    const { main } = await leg(server, flake, {
      system: 'x86_64-linux',
      hosts: 'alpha',
      'use-host-substituters': 'false'
    })
    expect(main.code).toBe(0)
    expect(main.outputs.built).toBe('4')
    expect(main.outputs.substituted).toBe('0')
  })
})

describe('bad inputs', () => {
  const BAD: [string, Record<string, string>, RegExp][] = [
    ['cache name with capitals', { cachix: 'My Cache' }, /input cachix: "My Cache" is not a Cachix cache name/],
    ['push is not a tristate', { push: 'maybe' }, /input push: "maybe" is not auto, true or false/],
    [
      'keep-going is not a boolean',
      { 'keep-going': 'yes please' },
      /input keep-going: "yes please" is not true or false/
    ],
    ['max-jobs is not a number', { 'max-jobs': 'lots' }, /input max-jobs: "lots" is not a whole number or auto/],
    ['cores is negative', { cores: '-1' }, /input cores: "-1" is not a non-negative whole number/],
    [
      'unknown system',
      { system: 'x86_64-windows' },
      /input system: "x86_64-windows" is not one of x86_64-linux, aarch64-linux/
    ],
    ['host name with spaces inside quotes', { hosts: 'good bad!host' }, /input hosts: "bad!host" is not a host name/],
    [
      'push-filter is not a regex',
      { 'push-filter': '(unclosed' },
      /input push-filter: "\(unclosed" is not a valid regular expression/
    ],
    ['time-budget is zero', { 'time-budget': '0' }, /input time-budget: "0" is not a positive whole number/],
    [
      'drain-timeout is not a number',
      { 'drain-timeout': 'ten' },
      /input drain-timeout: "ten" is not a positive whole number/
    ],
    [
      'time-budget leaves no time to build',
      { 'time-budget': '5', 'drain-timeout': '600' },
      /input time-budget: 5 minutes leave no time to build/
    ],
    ['unknown compression', { compression: 'gzip' }, /input compression: "gzip" is not zstd or xz/],
    [
      'install-nix is not a tristate',
      { 'install-nix': 'sometimes' },
      /input install-nix: "sometimes" is not auto, true or false/
    ],
    ['nix-version is not a release', { 'nix-version': '2.x' }, /input nix-version: "2.x" is not a Nix release/],
    ['qemu is not a tristate', { qemu: 'on' }, /input qemu: "on" is not auto, true or false/],
    [
      'qemu-interpreter is relative',
      { 'qemu-interpreter': 'qemu-aarch64-static' },
      /input qemu-interpreter: "qemu-aarch64-static" is not an absolute path/
    ],
    [
      'push true without credentials',
      { push: 'true', 'cachix-auth-token': '' },
      /input push: is true but neither cachix-auth-token nor cachix-signing-key is set/
    ],
    ['push true without a cache', { push: 'true', cachix: '' }, /input push: is true but no cachix cache name is set/],
    ['credentials without a cache', { cachix: '' }, /input cachix: is empty but Cachix credentials were given/],
    [
      'malformed signing key',
      { 'cachix-signing-key': 'mykey:AAAA' },
      /input cachix-signing-key: the signing key decodes to 3 bytes, expected 64/
    ],
    ['token with a line break', { 'cachix-auth-token': 'abc\ndef' }, /input cachix-auth-token: contains white space/],
    [
      'extra pull cache name',
      { 'extra-pull-caches': 'good, Bad_Name' },
      /input extra-pull-caches: "Bad_Name" is not a Cachix cache name/
    ],
    [
      'attribute path with spaces',
      { attributes: 'nixosConfigurations.alpha.pkgs.hello nixos..x' },
      /input attributes: "nixos..x" is not an attribute path/
    ],
    [
      'extra-nix-config sets the hook',
      { 'extra-nix-config': 'post-build-hook = /bin/true' },
      /input extra-nix-config: sets post-build-hook, which this action owns/
    ],
    [
      'extra-nix-config line is not a setting',
      { 'extra-nix-config': 'just some words' },
      /input extra-nix-config: line "just some words" is not "name = value"/
    ],
    ['skip-cached is not a boolean', { 'skip-cached': 'TRUE!' }, /input skip-cached: "TRUE!" is not true or false/],
    ['extra-args with an unclosed quote', { 'extra-args': '--option "x y' }, /input extra-args: has an unclosed quote/],
    [
      'cachix-url is not a URL',
      { 'cachix-url': 'cachix.org' },
      /input cachix-url: "cachix.org" is not an http\(s\) URL/
    ],
    ['push-jobs is zero', { 'push-jobs': '0' }, /input push-jobs: "0" is not a positive whole number/],
    [
      'builders with a line break',
      { builders: 'ssh://builder x86_64-linux\npost-build-hook = /tmp/evil' },
      /input builders: line 2 \(post-build-hook = \/tmp\/evil\): "post-build-hook" has no scheme/
    ],
    [
      'github-token with a line break',
      { 'github-token': 'ghs_abc\npost-build-hook = /tmp/evil' },
      /input github-token: contains white space or a control character/
    ],
    [
      'max-jobs with a line break',
      { 'max-jobs': '4\npost-build-hook = /tmp/evil' },
      /input max-jobs: contains a line break or another control character/
    ],
    [
      'cachix-url with a line break',
      { 'cachix-url': 'https://cachix.org\nx' },
      /input cachix-url: contains a line break or another control character/
    ],
    [
      'extra-nix-config with a control character',
      { 'extra-nix-config': 'keep-outputs = true\u001b[2K' },
      /input extra-nix-config: contains a control character/
    ],
    [
      'extra-args sets the hook',
      { 'extra-args': '--option post-build-hook /tmp/evil' },
      /input extra-args: sets post-build-hook, which this action owns/
    ]
  ]
  let server: Server
  let flake: string
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
    flake = await sampleFlake()
  })
  afterAll(async () => server.close())

  it.each(BAD)('%s: one line of error, nothing touched', async (_why, inputs, message) => {
    const job = await newJob()
    const requestsBefore = server.stats.requests
    const result = await runStep({
      step: 'main',
      job,
      cwd: flake,
      inputs: { cachix: CACHE, 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN, ...inputs }
    })
    expect(result.code).toBe(1)
    const errors = errorLines(result.stdout)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(message)
    expect(errors[0]).not.toContain('%0A')
    expect(server.stats.requests).toBe(requestsBefore)
    expect(await readFile(join(job.nixConfDir, 'nix.conf'), 'utf8')).toBe(job.baseNixConf)
    expect(await readdir(job.runnerTemp)).toEqual([])
    expect(result.state).toEqual({})
  })
})
