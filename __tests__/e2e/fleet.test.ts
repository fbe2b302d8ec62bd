import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server as TcpServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { buildOffline } from '../../harness/offline-build.js'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { FAKE_GITHUB_TOKEN, newJob, REPO, runStep, type RunnerFiles, type StepResult } from '../../harness/runner.js'
import { filesWithSecrets, leaksInStep } from '../support/secrets.js'
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename } from 'node:path'
import { runCommand } from '../../src/util/process.js'
import { CACHE, inCache, leg, type Server } from '../support/legs.js'
import { makePusher } from '../support/push.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

const NIX = ['--extra-experimental-features', 'nix-command flakes']

async function evalRaw(flake: string, attribute: string): Promise<string> {
  return (await runCommand('nix', [...NIX, 'eval', '--raw', `${flake}#${attribute}`])).stdout
}

/** A TCP port that accepts connections and never answers, on loopback: a cache behind a dead route. */
async function silentPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets: Socket[] = []
  const server: TcpServer = createServer(socket => sockets.push(socket))
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(r => server.close(r))
    }
  }
}

describe("a host's extra-substituters", () => {
  let server: Server
  let silent: Awaited<ReturnType<typeof silentPort>>
  beforeAll(async () => {
    server = await startTestServer([
      { name: CACHE, writeTokens: [WRITE_TOKEN] },
      { name: 'community', writeTokens: [WRITE_TOKEN] }
    ])
    silent = await silentPort()
  })
  afterAll(async () => {
    await silent.close()
    await server.close()
  })

  it('a path only a second cache holds is downloaded, not built; unreachable caches are dropped by name within 6 s', async () => {
    const community = `${server.cacheUrl('community')}?priority=30`
    const tailnet = `http://127.0.0.1:${silent.port}/fleet`
    const closed = 'http://127.0.0.2:9/closed'
    const flake = await fleetFlake({
      hosts: {
        desk: {
          settings: {
            substituters: [],
            'extra-substituters': [community, tailnet, closed, `${server.cacheUrl('community')}/`],
            'extra-trusted-public-keys': server.publicKeys('community')
          }
        },
        other: { throw: true }
      }
    })
    // `base` is in the community cache only: built here, pushed there, deleted from this store.
    const base = await evalRaw(flake, 'nixosConfigurations.desk.config.system.build.toplevel.etc.base.outPath')
    await runCommand('nix', [
      ...NIX,
      'build',
      '--no-link',
      '--option',
      'substituters',
      '',
      `${flake}#nixosConfigurations.desk.config.system.build.toplevel.etc.base`
    ])
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'community', authToken: WRITE_TOKEN })
    pusher.add([base])
    expect((await pusher.drain()).uploaded).toBe(1)
    await runCommand('nix-store', ['--delete', base])

    const { main } = await leg(server, flake, { system: 'x86_64-linux', hosts: 'desk' })
    expect(main.code).toBe(0)
    expect(main.outputs.built).toBe('2')
    expect(Number(main.outputs.substituted)).toBeGreaterThanOrEqual(1)
    expect(await inCache(server, base)).toBe(true)
    // Kept as the host wrote it, query string and all, and once.
    expect(main.stdout).toContain(`Host substituters: ${community} (probed 3 in`)
    for (const dead of [tailnet, closed])
      expect(main.stdout).toMatch(
        new RegExp(`::notice::host substituter ${dead.replace(/[.?/]/g, '\\$&')} is not used by this job: `)
      )
    const findings = JSON.parse(main.outputs.findings) as { level: string; message: string }[]
    expect(
      findings
        .filter(f => f.level === 'notice')
        .map(f => f.message)
        .join('\n')
    ).toContain(tailnet)
    const probed = Number(/probed 3 in ([\d.]+) s/.exec(main.stdout)?.[1])
    expect(probed).toBeLessThan(6)
  }, 300_000)
})

async function plan(
  server: Server,
  flake: string,
  inputs: Record<string, string> = {},
  given?: RunnerFiles
): Promise<StepResult> {
  const job = given ?? (await newJob())
  return runStep({
    step: 'plan',
    job,
    cwd: flake,
    inputs: { cachix: CACHE, 'cachix-url': server.url, ...inputs },
    actionFile: join(REPO, 'plan', 'action.yml')
  })
}

function hostSeconds(result: StepResult): number {
  return [...result.stdout.matchAll(/evaluated in ([\d.]+) s/g)].reduce((sum, m) => sum + Number(m[1]), 0)
}

function evalSeconds(result: StepResult): number {
  return Number(/Evaluated \d+ hosts in ([\d.]+) s/.exec(result.stdout)?.[1])
}

describe('evaluation, one host at a time', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  it('a host that throws becomes a finding and no row; the plan succeeds for the other three', async () => {
    const flake = await fleetFlake({ hosts: { a: {}, b: {}, c: { system: 'aarch64-linux' }, d: { throw: true } } })
    const result = await plan(server, flake)
    expect(result.code).toBe(0)
    const matrix = JSON.parse(result.outputs.matrix) as { include: { host: string }[] }
    expect(matrix.include.map(r => r.host)).toEqual(['a', 'b', 'c'])
    expect(JSON.parse(result.outputs['eval-failed'])).toEqual(['d'])
    const findings = JSON.parse(result.outputs.findings) as { level: string; message: string }[]
    expect(findings).toHaveLength(1)
    expect(findings[0].level).toBe('error')
    expect(findings[0].message).toContain('host d does not evaluate, so it has no row')
    expect(findings[0].message).toContain('host d does not evaluate: fixture says so')
    expect(result.stdout).toMatch(/::error::host d does not evaluate/)
    expect(result.summary).toContain('**d** does not evaluate')
    expect(result.summary).toContain('fixture says so')
    expect(Object.keys(JSON.parse(result.outputs.toplevels) as object)).toEqual(['a', 'b', 'c'])
  })

  it('an action leg without hosts builds and pushes those that evaluate, names the one that does not, and fails', async () => {
    const flake = await fleetFlake({ hosts: { a: {}, b: {}, c: { system: 'aarch64-linux' }, d: { throw: true } } })
    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(1)
    expect(main.outputs.status).toBe('failed')
    const hosts = JSON.parse(main.outputs.hosts) as Record<string, string>
    expect(Object.keys(hosts)).toEqual(['a', 'b'])
    for (const toplevel of Object.values(hosts)) expect(await inCache(server, toplevel)).toBe(true)
    const findings = JSON.parse(main.outputs.findings) as { level: string; message: string }[]
    expect(findings.filter(f => f.level === 'error').map(f => f.message)).toEqual([
      expect.stringContaining('host d does not evaluate, so no leg builds it') as unknown
    ])
    expect(findings[0].message).toContain('host d does not evaluate: fixture says so')
    expect(main.stdout).toMatch(/::error::host d does not evaluate/)
  }, 300_000)

  it('hosts: a plans a and evaluates nothing else', async () => {
    const flake = await fleetFlake({ hosts: { a: {}, d: { throw: true } } })
    const result = await plan(server, flake, { hosts: 'a' })
    expect(result.code).toBe(0)
    expect((JSON.parse(result.outputs.matrix) as { include: { host: string }[] }).include.map(r => r.host)).toEqual([
      'a'
    ])
    expect(JSON.parse(result.outputs['eval-failed'])).toEqual([])
    expect(result.stdout).not.toContain('does not evaluate')
  })

  it('four hosts that each take seconds to evaluate are evaluated two at a time with eval-jobs 2', async () => {
    // Over a second of evaluation each under both Nix versions, also on a fast day (spin 7 took
    // 1.3–1.5 s on Nix 2.8 and 0.8 s on Nix 2.34).
    const slow = { spin: 10 }
    const flake = await fleetFlake({ hosts: { s1: slow, s2: slow, s3: slow, s4: slow } })
    const one = await plan(server, flake, { hosts: 's1', 'eval-jobs': '2' })
    const four = await plan(server, flake, { 'eval-jobs': '2' })
    const serial = await plan(server, flake, { 'eval-jobs': '1' })
    for (const result of [one, four, serial]) expect(result.code).toBe(0)
    expect(JSON.parse(four.outputs.hosts)).toEqual(['s1', 's2', 's3', 's4'])
    const [single, wall, serialWall] = [evalSeconds(one), evalSeconds(four), evalSeconds(serial)]
    // The machine is shared, so each evaluation's own time varies; the wall time against the sum
    // of the four evaluations' times does not: about 1/2 two at a time, about 1 one at a time.
    const [busy, serialBusy] = [hostSeconds(four), hostSeconds(serial)]
    process.stdout.write(
      `one host ${single} s; four, 2 at a time: ${wall} s for ${busy.toFixed(1)} s of evaluation; one at a time: ${serialWall} s for ${serialBusy.toFixed(1)} s\n`
    )
    expect(single).toBeGreaterThan(1)
    expect(wall / busy).toBeLessThan(0.7)
    expect(serialWall / serialBusy).toBeGreaterThan(0.9)
  }, 300_000)
})

describe('failures say why', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  it("the summary shows the failed derivation's name and the last 25 lines of its log; an annotation and findings name it", async () => {
    const flake = await fleetFlake({ hosts: { good: {}, bad: { fail: true } } })
    const drvPath = await evalRaw(flake, 'nixosConfigurations.bad.config.system.build.toplevel.broken.drvPath')
    const name = drvPath.replace(/^\/nix\/store\/[a-z0-9]{32}-/, '').replace(/\.drv$/, '')
    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(1)
    expect(JSON.parse(main.outputs['failed-hosts'])).toEqual(['bad'])
    expect(main.summary).toContain(`<code>${name}</code>: last 25 lines of <code>nix log ${drvPath}</code>`)
    for (let i = 16; i <= 40; i++) expect(main.summary).toContain(`broken-line-${i}\n`)
    expect(main.summary).not.toContain('broken-line-15\n')
    expect(main.stdout).toContain(`::error::derivation ${name} failed to build (${drvPath}): broken-line-40`)
    const findings = JSON.parse(main.outputs.findings) as { level: string; message: string }[]
    expect(findings.some(f => f.level === 'error' && f.message.includes(`derivation ${name} failed to build`))).toBe(
      true
    )
    // Only the derivation whose builder failed is named, not the toplevel that waited on it.
    expect(main.summary.match(/<\/code>: last 25 lines of <code>nix log/g)).toHaveLength(1)
  }, 300_000)
})

describe('pre-warm legs', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  it('two attribute rows, one cached: the other builds in an attribute-only leg, and then the plan is empty', async () => {
    const flake = await fleetFlake({ hosts: { a: {}, b: {} } })
    const [warm, cold] = ['nixosConfigurations.a.pkgs.big', 'nixosConfigurations.b.pkgs.big']
    // The hosts are built and pushed, and so is one of the two attributes.
    expect((await leg(server, flake, { system: 'x86_64-linux' })).main.code).toBe(0)
    const warmPath = await buildOffline(`${flake}#${warm}`)
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: CACHE, authToken: WRITE_TOKEN })
    pusher.add([warmPath])
    expect((await pusher.drain()).uploaded).toBe(1)

    const before = await plan(server, flake, { attributes: `${warm} ${cold}` })
    expect(before.code).toBe(0)
    const rows = (JSON.parse(before.outputs.matrix) as { include: Record<string, string>[] }).include
    expect(rows).toEqual([{ attribute: cold, system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'attribute' }])
    expect(JSON.parse(before.outputs['cached-attributes'])).toEqual([warm])
    expect(JSON.parse(before.outputs['cached-hosts'])).toEqual(['a', 'b'])

    // The leg as the matrix row gives it: attributes from the row, no host.
    const row = rows[0]
    const { main } = await leg(server, flake, { system: row.system, hosts: row.host ?? '', attributes: row.attribute })
    expect(main.code).toBe(0)
    expect(main.stdout).toContain(`A pre-warm leg: building ${cold} and no host`)
    expect(JSON.parse(main.outputs.hosts)).toEqual({})
    expect(main.outputs.built).toBe('1')
    expect(await inCache(server, await evalRaw(flake, `${cold}.outPath`))).toBe(true)

    const after = await plan(server, flake, { attributes: `${warm} ${cold}` })
    expect(after.code).toBe(0)
    expect(JSON.parse(after.outputs.matrix)).toEqual({ include: [] })
    expect(after.outputs.any).toBe('false')
    expect(JSON.parse(after.outputs['cached-attributes'])).toEqual([warm, cold])
  }, 300_000)
})

describe('the planner evaluates with the settings the main action has', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([
      { name: CACHE, writeTokens: [WRITE_TOKEN] },
      { name: 'community', writeTokens: [WRITE_TOKEN] }
    ])
  })
  afterAll(async () => server.close())

  it('extra-nix-config applies to evaluation, extra-pull-caches feeds import from derivation, github-token stays secret, nix.conf is restored', async () => {
    const flake = await fleetFlake({ hosts: { plain: {}, ifd: { ifd: true } } })
    const refusedJob = await newJob()
    const refused = await plan(
      server,
      flake,
      { 'extra-nix-config': 'allow-import-from-derivation = false' },
      refusedJob
    )
    expect(refused.code).toBe(0)
    expect(JSON.parse(refused.outputs['eval-failed'])).toEqual(['ifd'])
    expect(refused.outputs.findings).toContain('allow-import-from-derivation')
    expect(JSON.parse(refused.outputs.hosts)).toEqual(['plain'])
    expect(await readFile(join(refusedJob.nixConfDir, 'nix.conf'), 'utf8')).toBe(refusedJob.baseNixConf)

    // What the host imports is in the community cache only: built here, pushed, then gone with its build log.
    const generated = await evalRaw(flake, 'nixosConfigurations.ifd.pkgs.generated.outPath')
    const drv = basename(await evalRaw(flake, 'nixosConfigurations.ifd.pkgs.generated.drvPath'))
    await runCommand('nix', [
      ...NIX,
      'build',
      '--no-link',
      '--option',
      'substituters',
      '',
      `${flake}#nixosConfigurations.ifd.pkgs.generated`
    ])
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'community', authToken: WRITE_TOKEN })
    pusher.add([generated])
    expect((await pusher.drain()).uploaded).toBe(1)
    await runCommand('nix-store', ['--delete', generated])
    // Build logs are the store's: inside the chroot when the Nix under test runs in one.
    const logDir = join(process.env.RUNNER_NIX_CHROOT ?? '/', 'nix/var/log/nix/drvs', drv.slice(0, 2))
    const buildLog = join(logDir, `${drv.slice(2)}.bz2`)
    await rm(buildLog, { force: true })

    const job = await newJob()
    const pulled = await plan(server, flake, { 'extra-pull-caches': 'community' }, job)
    expect(pulled.code).toBe(0)
    expect(JSON.parse(pulled.outputs['eval-failed'])).toEqual([])
    expect(JSON.parse(pulled.outputs.hosts)).toEqual(['ifd', 'plain'])
    expect(pulled.stdout).toContain(`pull caches: ${server.cacheUrl(CACHE)} ${server.cacheUrl('community')}`)
    expect(pulled.stdout).toContain('with the github.com token in a 0600 file')
    // Substituted, not built: the path is back and no build log was written for it.
    expect((await runCommand('nix-store', ['--check-validity', generated], { okCodes: [1] })).code).toBe(0)
    expect((await readdir(logDir).catch((): string[] => [])).includes(`${drv.slice(2)}.bz2`)).toBe(false)
    expect(await readFile(join(job.nixConfDir, 'nix.conf'), 'utf8')).toBe(job.baseNixConf)
    expect(await readdir(job.runnerTemp)).toEqual([])
    for (const result of [refused, pulled]) expect(leaksInStep(result, [FAKE_GITHUB_TOKEN])).toEqual([])
    expect(await filesWithSecrets(job.dir, [FAKE_GITHUB_TOKEN])).toEqual([])
  }, 300_000)
})

describe('import from derivation', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  it('what evaluation built is pushed: a fresh store trusting only the cache evaluates and realises the host with max-jobs 0', async () => {
    const flake = await fleetFlake({ hosts: { ifd: { ifd: true } } })
    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(0)
    const generated = await evalRaw(flake, 'nixosConfigurations.ifd.pkgs.generated.outPath')
    expect(await inCache(server, generated)).toBe(true)

    const fresh = await mkdtemp(join(tmpdir(), 'fresh-store-'))
    const options = [
      '--store',
      fresh,
      '--option',
      'substituters',
      server.cacheUrl(CACHE),
      '--option',
      'trusted-public-keys',
      server.publicKeys(CACHE).join(' '),
      '--option',
      'require-sigs',
      'true',
      '--max-jobs',
      '0',
      '--option',
      'sandbox',
      'false',
      '--option',
      'narinfo-cache-negative-ttl',
      '0'
    ]
    const toplevel = `${flake}#nixosConfigurations.ifd.config.system.build.toplevel`
    const evaluated = await runCommand('nix', [...NIX, 'eval', '--raw', `${toplevel}.outPath`, ...options])
    expect(evaluated.stdout).toBe((JSON.parse(main.outputs.hosts) as Record<string, string>).ifd)
    const built = await runCommand('nix', [...NIX, 'build', '--no-link', toplevel, ...options], { okCodes: [1] })
    expect(built.stderr).not.toMatch(/building '/)
    expect(built.code).toBe(0)
    expect(
      (
        await runCommand('nix-store', ['--store', fresh, '--check-validity', generated, evaluated.stdout], {
          okCodes: [1]
        })
      ).code
    ).toBe(0)
  }, 300_000)

  it('the planner keeps a leg for a cached host whose import no cache has; that leg pushes it, and the next plan is empty', async () => {
    const flake = await fleetFlake({ hosts: { lost: { ifd: true } } })
    expect((await leg(server, flake, { system: 'x86_64-linux' })).main.code).toBe(0)
    const generated = await evalRaw(flake, 'nixosConfigurations.lost.pkgs.generated.outPath')
    // The cache loses the import (garbage collection, or a desktop pushed only the toplevel), and no runner has it.
    await rm(join(server.dataDir, CACHE, `${generated.slice(11, 43)}.narinfo`))
    await runCommand('nix-store', ['--delete', generated])
    const first = await plan(server, flake)
    expect(first.code).toBe(0)
    expect(JSON.parse(first.outputs.hosts)).toEqual(['lost'])
    expect(first.stdout).toMatch(/lost: its evaluation built 1 derivation that no cache had \(generated-lost-/)

    // The leg runs on a runner of its own, which has not got the import either.
    await runCommand('nix-store', ['--delete', generated])
    const { main } = await leg(server, flake, { system: 'x86_64-linux', hosts: 'lost' })
    expect(main.code).toBe(0)
    expect(JSON.parse(main.outputs['skipped-hosts'])).toEqual(['lost'])
    expect(await inCache(server, generated)).toBe(true)

    // The next plan, on a runner without it again, substitutes the import from the cache.
    await runCommand('nix-store', ['--delete', generated])
    const second = await plan(server, flake)
    expect(JSON.parse(second.outputs.hosts)).toEqual([])
    expect(JSON.parse(second.outputs['cached-hosts'])).toEqual(['lost'])
    expect(second.stdout).not.toContain('that no cache had')
    expect((await runCommand('nix-store', ['--check-validity', generated], { okCodes: [1] })).code).toBe(0)
  }, 300_000)

  it('an existing post-build-hook stays chained through both passes of the configuration', async () => {
    const flake = await fleetFlake({ hosts: { chained: { ifd: true } } })
    const dir = await mkdtemp(join(tmpdir(), 'image-hook-'))
    const hook = join(dir, 'hook.sh')
    await writeFile(hook, `#!/bin/sh\necho "$DRV_PATH" >> ${join(dir, 'ran')}\n`, { mode: 0o755 })
    await chmod(dir, 0o777)
    const base = await newJob()
    const job = await newJob(`${base.baseNixConf}post-build-hook = ${hook}\n`)
    const { main } = await leg(server, flake, { system: 'x86_64-linux' }, job)
    expect(main.code).toBe(0)
    expect(main.stdout).toContain(`(chaining the existing post-build-hook ${hook})`)
    const ran = (await readFile(join(dir, 'ran'), 'utf8')).split('\n').filter(l => l !== '')
    // The import built during evaluation and the host's own derivations all went through the image's hook too.
    expect(ran.some(d => d.includes('-generated-chained-'))).toBe(true)
    expect(ran.some(d => d.includes('-nixos-system-chained-'))).toBe(true)
  }, 300_000)
})

describe('free-disk-space, under a directory standing in for /', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  const LISTED = [
    'usr/share/dotnet',
    'usr/local/lib/android',
    'opt/ghc',
    'usr/local/.ghcup',
    'opt/hostedtoolcache/CodeQL',
    'usr/share/swift'
  ]
  const KEPT = ['usr/share/keep', 'opt/hostedtoolcache/node', 'usr/local/lib/other']

  async function fakeRoot(): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'fake-root-'))
    // Owned by root and readable by all, as / is: the runner user needs sudo to remove anything.
    await chmod(root, 0o755)
    for (const dir of [...LISTED, ...KEPT, 'mnt']) {
      await mkdir(join(root, dir), { recursive: true })
      await writeFile(join(root, dir, 'payload'), 'x'.repeat(4096))
    }
    return root
  }

  async function mainAndPost(flake: string, env: Record<string, string>): Promise<StepResult> {
    const job = await newJob()
    const inputs = {
      cachix: CACHE,
      'cachix-url': server.url,
      'cachix-auth-token': WRITE_TOKEN,
      hosts: 'a',
      'free-disk-space': 'true'
    }
    const main = await runStep({ step: 'main', job, cwd: flake, inputs, env })
    await runStep({ step: 'post', job, cwd: flake, inputs, env })
    return main
  }

  it('on a hosted runner it removes exactly the list, prints what it reclaimed, and builds', async () => {
    const flake = await fleetFlake({ hosts: { a: {} } })
    const root = await fakeRoot()
    const main = await mainAndPost(flake, { RUNNER_ENVIRONMENT: 'github-hosted', NIX_CACHIX_BUILD_DISK_ROOT: root })
    expect(main.code).toBe(0)
    for (const dir of LISTED) expect(await exists(join(root, dir))).toBe(false)
    for (const dir of [...KEPT, 'mnt']) expect(await exists(join(root, dir, 'payload'))).toBe(true)
    expect(main.stdout).toContain(`free-disk-space: removed ${LISTED.map(d => join(root, d)).join(', ')}; reclaimed `)
    expect(main.stdout).toMatch(/reclaimed [\d.]+ GiB, [\d.]+ GiB free/)
    // Same file system as the stand-in /: the build directory stays where it is.
    expect(main.stdout).toContain('free-disk-space: builds stay on the root file system')
  }, 300_000)

  it('anywhere else it refuses with a warning and removes nothing', async () => {
    const flake = await fleetFlake({ hosts: { a: {} } })
    const root = await fakeRoot()
    const main = await mainAndPost(flake, { RUNNER_ENVIRONMENT: 'self-hosted', NIX_CACHIX_BUILD_DISK_ROOT: root })
    expect(main.code).toBe(0)
    expect(main.stdout).toContain(
      '::warning::free-disk-space is true, but RUNNER_ENVIRONMENT is "self-hosted", not github-hosted'
    )
    for (const dir of [...LISTED, ...KEPT]) expect(await exists(join(root, dir, 'payload'))).toBe(true)
  }, 300_000)
})

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false
  )
}
