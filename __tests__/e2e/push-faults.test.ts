import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hostedSession } from '../../harness/hosted/session.js'
import { defaultProfile, newJob, REPO, runStep, type StepResult } from '../../harness/runner.js'
import { nonce } from '../../harness/sample-flake.js'
import { runCommand } from '../../src/util/process.js'
import { realiseInFreshStore } from '../support/nix.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'
import { type Server, testServer } from '../support/legs.js'

const CACHE = 'faulty'
const MiB = 1024 * 1024

/**
 * One host whose toplevel refers to a 20 MiB file of random bytes (three 8 MiB parts when
 * compressed) and to a small built path.
 */
async function bigHostFlake(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'big-host-flake-'))
  await writeFile(join(dir, 'blob'), randomBytes(20 * MiB))
  await writeFile(
    join(dir, 'flake.nix'),
    `{
  outputs = { self }:
    let
      tag = "${nonce()}";
      big = builtins.path { path = ./blob; name = "big-\${tag}"; };
      small = derivation { name = "small-\${tag}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo small > $out" ]; };
      toplevel = derivation { name = "nixos-system-big-\${tag}"; system = "x86_64-linux"; builder = "/bin/sh"; inherit big small; args = [ "-c" "echo $big $small > $out" ]; };
    in { nixosConfigurations.big = { config = { system.build.toplevel = toplevel; nix.settings = { substituters = [ ]; trusted-public-keys = [ ]; }; }; }; };
}
`
  )
  // The workspace a hosted runner checks out belongs to the runner user.
  if (defaultProfile() === 'hosted') await (await hostedSession()).giveToRunner(dir)
  return dir
}

async function narinfos(server: Server): Promise<Set<string>> {
  return new Set(
    (await readdir(join(server.dataDir, CACHE))).filter(f => f.endsWith('.narinfo')).map(f => f.slice(0, 32))
  )
}

function crashed(step: StepResult): boolean {
  return /unhandled|UnhandledPromiseRejection|triggerUncaughtException/i.test(step.stderr + step.stdout)
}

describe.each(['in process', 'nix-store --dump'])('the action survives push failures (NARs read %s)', narSource => {
  let server: Server
  const env = narSource === 'in process' ? {} : { NIX_CACHIX_BUILD_NAR: 'nix-store' }
  const inputs = (extra: Record<string, string>): Record<string, string> => ({
    cachix: CACHE,
    'cachix-url': server.url,
    'cachix-auth-token': WRITE_TOKEN,
    system: 'x86_64-linux',
    'fail-on-push-error': 'true',
    ...extra
  })
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  it('part 2 of 3 fails for good while part 1 is in flight: exit 1 naming the path, nothing published that needs it; a clean rerun completes it', async () => {
    const flake = await bigHostFlake()
    // A 400 from storage is final: the path fails at once instead of after Cachix's 90 s of backoff.
    server.setFaults({ failPartsFrom: 2, failPartsStatus: 400, slowFirstPartMs: 500 })
    const main = await runStep({ step: 'main', job: await newJob(), cwd: flake, inputs: inputs({}), env })
    server.setFaults(undefined)

    expect(crashed(main)).toBe(false)
    expect(main.code).toBe(1)
    const toplevel = (JSON.parse(main.outputs.hosts) as Record<string, string>).big
    const big = main.stdout.match(/push of (\/nix\/store\/[a-z0-9]{32}-big-[^ ]+) failed/)?.[1]
    expect(big).toBeDefined()
    expect(main.stdout).toContain(`push of ${toplevel} failed: not published: its closure needs ${big}`)
    expect(main.outputs.status).toBe('problems')
    expect(main.outputs.pushed).toBe('1')
    expect(main.summary).toContain('big')
    expect(main.stdout).toMatch(/::error::pushing had problems and fail-on-push-error is true/)
    const published = await narinfos(server)
    expect(published.has(toplevel.slice(11, 43))).toBe(false)
    expect(published.has((big ?? '').slice(11, 43))).toBe(false)
    expect(server.stats.incompleteClosures).toEqual([])

    // Skip-cached walks the closure, sees it is not complete, and pushes what is missing.
    const rerun = await runStep({ step: 'main', job: await newJob(), cwd: flake, inputs: inputs({}), env })
    expect(rerun.code).toBe(0)
    expect(rerun.outputs.status).toBe('ok')
    expect(rerun.outputs.coverage).toBe('100%')
    expect(rerun.outputs.pushed).toBe('2')
    expect(server.stats.incompleteClosures).toEqual([])
    const fresh = await realiseInFreshStore(server.cacheUrl(CACHE), server.publicKeys(CACHE), [toplevel])
    expect(fresh.result.code).toBe(0)
    expect(fresh.result.stderr).not.toMatch(/building '/)
  })

  it('the drain deadline hits mid-stream: exit 1, outputs and summary written, nothing half-published', async () => {
    const flake = await bigHostFlake()
    server.setFaults({ slowFirstPartMs: 30_000 })
    const main = await runStep({
      step: 'main',
      job: await newJob(),
      cwd: flake,
      inputs: inputs({ 'drain-timeout': '3' }),
      env
    })
    server.setFaults(undefined)

    expect(crashed(main)).toBe(false)
    expect(main.code).toBe(1)
    expect(main.seconds).toBeLessThan(25)
    expect(main.outputs.status).toBe('problems')
    expect(JSON.parse(main.outputs.findings) as { message: string }[]).toContainEqual(
      expect.objectContaining({ message: expect.stringMatching(/not pushed before drain-timeout \(3 s\)/) as unknown })
    )
    expect(main.summary).toMatch(/drain-timeout/)
    const toplevel = (JSON.parse(main.outputs.hosts) as Record<string, string>).big
    expect((await narinfos(server)).has(toplevel.slice(11, 43))).toBe(false)
    expect(server.stats.incompleteClosures).toEqual([])
  })
})

describe('a cache that lost a path to garbage collection', () => {
  const server = testServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])

  it('skip-cached and the planner walk the closure, name the missing path, and the rerun pushes it back', async () => {
    const flake = await bigHostFlake()
    const inputs = { cachix: CACHE, 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN, system: 'x86_64-linux' }
    const first = await runStep({ step: 'main', job: await newJob(), cwd: flake, inputs })
    expect(first.code).toBe(0)
    expect(first.outputs.pushed).toBe('3')
    const toplevel = (JSON.parse(first.outputs.hosts) as Record<string, string>).big
    const small =
      (await runCommand('nix-store', ['--query', '--references', toplevel])).stdout
        .split('\n')
        .find(p => /-small-/.test(p)) ?? ''
    expect(small).not.toBe('')
    // The toplevel stays; one of its references is gone, as after a GC of the cache.
    await rm(join(server.dataDir, CACHE, `${small.slice(11, 43)}.narinfo`))

    const plan = await runStep({
      step: 'plan',
      job: await newJob(),
      cwd: flake,
      inputs: { cachix: CACHE, 'cachix-url': server.url },
      actionFile: join(REPO, 'plan', 'action.yml')
    })
    expect(plan.code).toBe(0)
    expect(JSON.parse(plan.outputs['cached-hosts'])).toEqual([])
    expect((JSON.parse(plan.outputs.matrix) as { include: { host: string }[] }).include.map(r => r.host)).toEqual([
      'big'
    ])
    expect(plan.stdout).toContain(
      `big: ${toplevel} is in the cache but its closure is not: ${small} (needed by ${toplevel}) is missing`
    )

    const rerun = await runStep({ step: 'main', job: await newJob(), cwd: flake, inputs })
    expect(rerun.code).toBe(0)
    expect(JSON.parse(rerun.outputs['skipped-hosts'])).toEqual([])
    expect(rerun.outputs.pushed).toBe('1')
    expect(rerun.outputs.coverage).toBe('100%')
    const fresh = await realiseInFreshStore(server.cacheUrl(CACHE), server.publicKeys(CACHE), [toplevel])
    expect(fresh.result.code).toBe(0)
    expect(fresh.result.stderr).not.toMatch(/building '/)

    const cached = await runStep({ step: 'main', job: await newJob(), cwd: flake, inputs })
    expect(JSON.parse(cached.outputs['skipped-hosts'])).toEqual(['big'])
    expect(cached.stdout).toContain(`big: ${toplevel} and its whole closure are in the cache; not building it`)
  })
})
