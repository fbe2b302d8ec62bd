import { describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { newJob, runStep, type StepResult } from '../../harness/runner.js'
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { CACHE, testServer } from '../support/legs.js'
import { WRITE_TOKEN } from '../support/server.js'
import { exists } from '../../src/util/fs.js'

describe('free-disk-space, under a directory standing in for /', () => {
  const server = testServer()

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
