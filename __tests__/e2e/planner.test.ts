import { describe, expect, it } from '@jest/globals'
import { join, basename } from 'node:path'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { FAKE_GITHUB_TOKEN, newJob, REPO, runStep } from '../../harness/runner.js'
import { filesWithSecrets, leaksInStep } from '../support/secrets.js'
import { readFile, readdir, rm } from 'node:fs/promises'
import { runCommand } from '../../src/util/process.js'
import { CACHE, evalRaw, plan, testServer, buildHere } from '../support/legs.js'
import { makePusher } from '../support/push.js'
import { WRITE_TOKEN } from '../support/server.js'
import { withoutAarch64Binfmt } from '../../harness/hosted/binfmt.js'
import { sampleFlake } from '../../harness/sample-flake.js'

describe('the planner evaluates with the settings the main action has', () => {
  const server = testServer([
    { name: CACHE, writeTokens: [WRITE_TOKEN] },
    { name: 'community', writeTokens: [WRITE_TOKEN] }
  ])

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
    await buildHere(flake, 'nixosConfigurations.ifd.pkgs.generated')
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

describe('the planner sub-action', () => {
  const server = testServer()

  async function plan(flake: string, inputs: Record<string, string> = {}) {
    const job = await newJob()
    const result = await runStep({
      step: 'plan',
      job,
      cwd: flake,
      inputs: { cachix: CACHE, 'cachix-url': server.url, ...inputs },
      actionFile: join(REPO, 'plan', 'action.yml')
    })
    expect(result.code).toBe(0)
    return {
      matrix: JSON.parse(result.outputs.matrix) as {
        include: { host: string; system: string; runner: string; kind: string }[]
      },
      any: result.outputs.any,
      cached: JSON.parse(result.outputs['cached-hosts']) as string[]
    }
  }

  it('one row per host with its runner (builder-systems routes arm rows to the x86 runner), cached hosts dropped, empty when all are cached', async () => {
    const flake = await sampleFlake()
    const before = await plan(flake)
    expect(before.matrix.include).toEqual([
      { host: 'alpha', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' },
      { host: 'arm', system: 'aarch64-linux', runner: 'ubuntu-24.04-arm', kind: 'nixos' },
      { host: 'beta', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' }
    ])
    expect(before.any).toBe('true')
    const routed = await plan(flake, { 'x86_64-runner': 'ubuntu-24.04', 'builder-systems': 'aarch64-linux' })
    expect(routed.matrix.include.map(row => [row.host, row.runner])).toEqual([
      ['alpha', 'ubuntu-24.04'],
      ['arm', 'ubuntu-24.04'],
      ['beta', 'ubuntu-24.04']
    ])

    const x86 = await newJob()
    const inputs = { cachix: CACHE, 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN, system: 'x86_64-linux' }
    expect((await runStep({ step: 'main', job: x86, cwd: flake, inputs })).code).toBe(0)
    await runStep({ step: 'post', job: x86, cwd: flake, inputs })
    const half = await plan(flake, { 'aarch64-runner': 'ubuntu-latest' })
    expect(half.matrix.include).toEqual([
      { host: 'arm', system: 'aarch64-linux', runner: 'ubuntu-latest', kind: 'nixos' }
    ])
    expect(half.cached).toEqual(['alpha', 'beta'])

    const arm = await newJob()
    // An x86 hosted runner building the arm host under QEMU, which it registers itself.
    const armMain = await withoutAarch64Binfmt(() =>
      runStep({ step: 'main', job: arm, cwd: flake, inputs: { ...inputs, system: 'aarch64-linux' } })
    )
    expect(armMain.code).toBe(0)
    await runStep({ step: 'post', job: arm, cwd: flake, inputs })
    const done = await plan(flake)
    expect(done.matrix).toEqual({ include: [] })
    expect(done.any).toBe('false')
  })
})
