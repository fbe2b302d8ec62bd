import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildOffline } from '../../harness/offline-build.js'
import { checkOutForRunner, distDir, newJob, REPO, runStep } from '../../harness/runner.js'
import { nonce, writeSampleFlake, type UpstreamPackages } from '../../harness/sample-flake.js'
import { parseNarInfo } from '../../src/nix/format/narinfo.js'
import { hashPart } from '../../src/nix/format/store-path.js'
import { runCommand, type RunResult } from '../../src/util/process.js'
import { execWithEnv } from '../support/exec.js'
import { CACHE, leg, type Leg, type Server } from '../support/legs.js'
import { closureOf, realiseInFreshStore } from '../support/nix.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

const UPSTREAM = 'nixpkgs'

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await runCommand('git', ['-C', dir, ...args])).stdout.trim()
}

async function narinfoHashes(dataDir: string, cache: string): Promise<string[]> {
  return (await readdir(join(dataDir, cache)))
    .filter(f => f.endsWith('.narinfo'))
    .map(f => f.slice(0, -'.narinfo'.length))
    .sort()
}

async function fileSizeIn(dataDir: string, cache: string, path: string): Promise<number> {
  const info = parseNarInfo(await readFile(join(dataDir, cache, `${hashPart(path)}.narinfo`), 'utf8'))
  return info.fileSize ?? NaN
}

async function cli(args: string[], nixConfig: string): Promise<RunResult> {
  return execWithEnv(
    process.execPath,
    [join(distDir(), 'cli', 'index.js'), ...args],
    { ...process.env, CACHIX_AUTH_TOKEN: '', CACHIX_SIGNING_KEY: '', NIX_CONFIG: nixConfig },
    [1, 2]
  )
}

interface HostDiffJson {
  outcome: string
  diff?: {
    changed: { name: string; before: string[]; after: string[] }[]
    download: { paths: number; fileSize: number; sizeUnknown: string[] }
  }
}

/**
 * The sample fleet as cachix.org holds it: openssl and zlib come from an upstream binary cache
 * (its own key, listed in the hosts' nix.settings.substituters), which the fleet's cache counts as
 * present (bulk query yes, GET narinfo 404) and never stores. Revision A has openssl 3.0.1; B bumps it to 3.0.2.
 */
describe('a fleet whose closure is mostly upstream, against a cache that filters upstream paths', () => {
  let nixpkgs: Server
  let server: Server
  let repo: string
  const commits = { a: '', b: '' }
  const upstreamPaths = { zlib: '', opensslA: '', opensslB: '' }
  let first: Leg
  let toplevelsA: Record<string, string>

  /** A full clone at `revision`, owned by the runner as actions/checkout leaves it. */
  async function checkout(revision: string): Promise<string> {
    const parent = await mkdtemp(join(tmpdir(), 'checkout-'))
    const dir = join(parent, 'fleet')
    await runCommand('git', ['clone', '-q', `file://${repo}`, dir])
    await git(dir, 'checkout', '-q', revision)
    await checkOutForRunner(parent)
    return dir
  }

  beforeAll(async () => {
    nixpkgs = await startTestServer([{ name: UPSTREAM, writeTokens: [WRITE_TOKEN] }])
    server = await startTestServer([
      { name: CACHE, writeTokens: [WRITE_TOKEN], upstreamUrl: nixpkgs.cacheUrl(UPSTREAM) }
    ])
    const settings = {
      substituters: [nixpkgs.cacheUrl(UPSTREAM)],
      'trusted-public-keys': nixpkgs.publicKeys(UPSTREAM)
    }
    const upstream: UpstreamPackages = { nonce: nonce(), openssl: '3.0.1' }
    repo = await mkdtemp(join(tmpdir(), 'upstream-fleet-'))
    await writeSampleFlake(repo, { settings, upstream })
    await git(repo, 'init', '-q', '-b', 'main')
    await git(repo, 'config', 'user.email', 'ci@example.org')
    await git(repo, 'config', 'user.name', 'ci')
    await git(repo, 'add', '-A')
    await git(repo, 'commit', '-q', '-m', 'fleet on nixpkgs with openssl 3.0.1')
    commits.a = await git(repo, 'rev-parse', 'HEAD')
    await writeFile(join(repo, 'upstream.json'), JSON.stringify({ ...upstream, openssl: '3.0.2' }))
    await git(repo, 'commit', '-q', '-am', 'nixpkgs bump: openssl 3.0.2')
    commits.b = await git(repo, 'rev-parse', 'HEAD')

    // Hydra built both nixpkgs revisions and pushed them upstream; this machine has neither.
    const openssl = (rev: string) => `git+file://${repo}?rev=${rev}#nixosConfigurations.alpha.pkgs.openssl`
    upstreamPaths.opensslA = await buildOffline(openssl(commits.a))
    upstreamPaths.opensslB = await buildOffline(openssl(commits.b))
    upstreamPaths.zlib = await buildOffline(`git+file://${repo}?rev=${commits.a}#nixosConfigurations.alpha.pkgs.zlib`)
    const { makePusher } = await import('../support/push.js')
    const { pusher } = await makePusher({ baseUrl: nixpkgs.url, cacheName: UPSTREAM, authToken: WRITE_TOKEN })
    pusher.add([upstreamPaths.opensslA, upstreamPaths.opensslB])
    expect((await pusher.drain()).uploaded).toBe(3)
    await runCommand('nix-store', ['--delete', upstreamPaths.opensslA, upstreamPaths.opensslB, upstreamPaths.zlib])
  }, 300_000)
  afterAll(async () => {
    await server.close()
    await nixpkgs.close()
  })

  it("the first run pushes only the fleet's own paths: the upstream ones are substituted and counted present", async () => {
    first = await leg(server, await checkout(commits.a), { system: 'x86_64-linux', 'flake-input-cache': 'false' })
    const { main } = first
    expect(main.code).toBe(0)
    expect(main.outputs.status).toBe('ok')
    expect(main.outputs.coverage).toBe('100%')
    toplevelsA = JSON.parse(main.outputs.hosts) as Record<string, string>
    expect(Object.keys(toplevelsA).sort()).toEqual(['alpha', 'beta'])
    const closure = await closureOf(Object.values(toplevelsA))
    expect(closure).toEqual(expect.arrayContaining([upstreamPaths.opensslA, upstreamPaths.zlib]))
    const own = closure.filter(p => p !== upstreamPaths.opensslA && p !== upstreamPaths.zlib)
    expect(Number(main.outputs.pushed)).toBe(own.length)
    expect(await narinfoHashes(server.dataDir, CACHE)).toEqual(own.map(hashPart).sort())
    expect(Number(main.outputs.substituted)).toBe(2)
    expect(server.stats.incompleteClosures).toEqual([])
    process.stdout.write(
      `upstream fleet, first run: pushed ${main.outputs.pushed} paths; the closure of alpha and beta has ${closure.length} (${own.length} the fleet's own, 2 upstream)\n`
    )
  })

  it('the rerun skips both hosts as cached: nothing built, nothing pushed', async () => {
    const again = await leg(server, await checkout(commits.a), { system: 'x86_64-linux', 'flake-input-cache': 'false' })
    expect(again.main.code).toBe(0)
    expect(JSON.parse(again.main.outputs['skipped-hosts'])).toEqual(['alpha', 'beta'])
    expect(again.main.outputs.built).toBe('0')
    expect(again.main.outputs.pushed).toBe('0')
    expect(again.main.stdout).toContain('Nothing to build.')
    expect(again.main.stdout).toContain(
      `alpha: ${toplevelsA.alpha} and its whole closure are in the cache (1 path of it counted present upstream); not building it`
    )
    process.stdout.write(
      `upstream fleet, no-op rerun: main step ${again.main.seconds.toFixed(1)} s, post ${again.post.seconds.toFixed(1)} s\n`
    )
  })

  it("the planner's matrix is empty", async () => {
    const plan = await runStep({
      step: 'plan',
      job: await newJob(),
      cwd: await checkout(commits.a),
      // arm's openssl is an aarch64 build that this upstream does not have.
      inputs: { cachix: CACHE, 'cachix-url': server.url, hosts: 'alpha beta' },
      actionFile: join(REPO, 'plan', 'action.yml')
    })
    expect(plan.code).toBe(0)
    const matrix = JSON.parse(plan.outputs.matrix) as { include: unknown[] }
    expect(matrix).toEqual({ include: [] })
    expect(plan.outputs.any).toBe('false')
    expect(JSON.parse(plan.outputs['cached-hosts'])).toEqual(['alpha', 'beta'])
    expect(plan.stdout).toContain('2 of 2 hosts are fully in fleet')
    process.stdout.write(`upstream fleet, planner on the rerun: ${matrix.include.length} legs\n`)
  })

  it('a fresh store that trusts the cache and the upstream realises every host with max-jobs = 0', async () => {
    const toplevels = Object.values(toplevelsA)
    const keys = [...server.publicKeys(CACHE), ...nixpkgs.publicKeys(UPSTREAM)]
    const fresh = await realiseInFreshStore([server.cacheUrl(CACHE), nixpkgs.cacheUrl(UPSTREAM)], keys, toplevels)
    expect(fresh.result).toMatchObject({ code: 0 })
    expect((await closureOf(toplevels, fresh.store)).sort()).toEqual((await closureOf(toplevels)).sort())
    // The cache alone is not enough: it never stored the upstream's paths.
    const alone = await realiseInFreshStore(server.cacheUrl(CACHE), keys, toplevels)
    expect(alone.result.code).not.toBe(0)
  })

  it('a revision that bumps openssl upstream: the closure diff is compared and names it, in the action and the CLI', async () => {
    const bump = await leg(server, await checkout(commits.b), {
      system: 'x86_64-linux',
      'flake-input-cache': 'false',
      'diff-base': commits.a
    })
    expect(bump.main.code).toBe(0)
    // etc and the toplevel of each host: the new openssl stays upstream.
    expect(bump.main.outputs.pushed).toBe('4')
    const diff = JSON.parse(bump.main.outputs.diff) as Record<string, HostDiffJson>
    const headAlpha = (JSON.parse(bump.main.outputs.hosts) as Record<string, string>).alpha
    const etcB = (await runCommand('nix-store', ['--query', '--references', headAlpha])).stdout
      .split('\n')
      .find(p => p.includes('-etc-alpha-')) as string
    for (const host of ['alpha', 'beta']) {
      expect(diff[host].outcome).toBe('compared')
      expect(diff[host].diff?.changed.map(({ name, before, after }) => ({ name, before, after }))).toEqual([
        { name: 'openssl', before: ['3.0.1'], after: ['3.0.2'] }
      ])
    }
    expect(diff.alpha.diff?.download).toEqual({
      paths: 3,
      fileSize:
        (await fileSizeIn(server.dataDir, CACHE, headAlpha)) +
        (await fileSizeIn(server.dataDir, CACHE, etcB)) +
        (await fileSizeIn(nixpkgs.dataDir, UPSTREAM, upstreamPaths.opensslB)),
      sizeUnknown: []
    })
    expect(bump.main.summary).toContain('| openssl | changed | 3.0.1 | 3.0.2 |')

    // A laptop that substitutes from the upstream, as every NixOS machine does from cache.nixos.org.
    const laptop = `substituters = ${nixpkgs.cacheUrl(UPSTREAM)}\ntrusted-public-keys = ${nixpkgs.publicKeys(UPSTREAM).join(' ')}\n`
    const json = await cli(
      ['diff', '--cache', CACHE, '--cachix-url', server.url, '--flake', repo, 'alpha', '--base', commits.a, '--json'],
      laptop
    )
    expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 0, stderr: expect.any(String) as unknown })
    expect((JSON.parse(json.stdout) as Record<string, HostDiffJson>).alpha).toEqual(diff.alpha)
  })

  it('a laptop check: trusting only the cache, the upstream paths are named with where they are; trusting both, nothing is built', async () => {
    const laptopStore = async (): Promise<string> => `store = ${await mkdtemp(join(tmpdir(), 'laptop-store-'))}\n`
    const cacheOnly = `${await laptopStore()}substituters = ${server.cacheUrl(CACHE)}\ntrusted-public-keys = ${server.publicKeys(CACHE).join(' ')}\n`
    const check = await cli(
      ['check', '--cache', CACHE, '--cachix-url', server.url, '--flake', repo, 'alpha'],
      cacheOnly
    )
    expect({ code: check.code, stderr: check.stderr }).toEqual({ code: 1, stderr: expect.any(String) as unknown })
    const where = nixpkgs.cacheUrl(UPSTREAM).replace(/[.]/g, '\\.')
    // openssl is built because only the upstream has it; the toplevel because its closure needs it.
    expect(check.stdout).toMatch(
      new RegExp(
        `openssl-3\\.0\\.2\\.drv\n +only upstream of ${CACHE}, in ${where} \\(Cachix never stores what its upstream has\\), and this machine does not substitute from there: add that substituter`
      )
    )
    expect(check.stdout).toMatch(
      new RegExp(`nixos-system-alpha-\\S+\\.drv\n +1 path of its closure is only upstream of ${CACHE}, in ${where},`)
    )
    expect(check.stdout).not.toMatch(/not in fleet although|this machine does not use it|is incomplete/)

    const both = `${await laptopStore()}substituters = ${server.cacheUrl(CACHE)} ${nixpkgs.cacheUrl(UPSTREAM)}\ntrusted-public-keys = ${[...server.publicKeys(CACHE), ...nixpkgs.publicKeys(UPSTREAM)].join(' ')}\n`
    const clean = await cli(['check', '--cache', CACHE, '--cachix-url', server.url, '--flake', repo, 'alpha'], both)
    expect({ code: clean.code, stderr: clean.stderr }).toEqual({ code: 0, stderr: expect.any(String) as unknown })
    expect(clean.stdout).toMatch(/alpha: switching downloads \d+ paths and builds nothing\./)
  })
})
