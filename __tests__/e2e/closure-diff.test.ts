import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { hostedSession } from '../../harness/hosted/session.js'
import { defaultProfile, distDir, newJob, REPO, runStep, type StepResult } from '../../harness/runner.js'
import { nonce } from '../../harness/sample-flake.js'
import { parseNarInfo, type NarInfo } from '../../src/nix/format/narinfo.js'
import { fullPath, hashPart } from '../../src/nix/format/store-path.js'
import { runCommand, type RunResult } from '../../src/util/process.js'
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-api.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'
import { CACHE, cachixConfigHome, type Server } from '../support/legs.js'

const REPOSITORY = 'krit/fleet'
const PR = 7
const GITHUB_TOKEN = 'ghs_standInTokenForTheDiffTests0123456789'

interface Versions {
  hello: string
  gone?: string
  added?: string
  tool: string
}

/**
 * The fleet at one revision: hosts alpha and beta share zlib-1.3 (never changes), hello (its
 * version in its name), tool (same version, its build script differs: a rebuild), and
 * optionally a package `gone` and a package `new-pkg`. Builders use only /bin/sh built-ins.
 */
function fleetFlake(v: Versions): string {
  // Attribute names are shell variables in the toplevel's builder, so they carry no dash.
  const optional = (attribute: string, name: string, version: string | undefined, script: string): string =>
    version === undefined ? '' : `${attribute} = mk "${name}-${version}" "${script}" { };`
  return `{
  outputs = { self }:
    let
      nonce = builtins.readFile ./nonce.txt;
      mk = name: script: deps: derivation ({ inherit name; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" script ]; } // deps);
      zlib = mk "zlib-1.3" "echo zlib \${nonce} > $out" { };
      pkgs = {
        hello = mk "hello-${v.hello}" "echo hello ${v.hello} $zlib > $out" { inherit zlib; };
        tool = mk "tool-1.0" "echo tool 1.0 ${v.tool} \${nonce} > $out" { };
        ${optional('gone', 'gone', v.gone, `echo gone ${v.gone} \${nonce} > $out`)}
        ${optional('newpkg', 'new-pkg', v.added, `echo new ${v.added} \${nonce} with a longer text so the size differs > $out`)}
      };
      host = name: {
        config.system.build.toplevel = mk "nixos-system-\${name}-26.05" "echo \${name} \${builtins.concatStringsSep " " (map (n: "$" + n) (builtins.attrNames pkgs))} > $out" pkgs;
      };
    in { nixosConfigurations = { alpha = host "alpha"; beta = host "beta"; }; };
}
`
}

/** What a hosted runner's steps touch belongs to the runner user (it is root here otherwise). */
async function forRunner(path: string): Promise<void> {
  if (defaultProfile() === 'hosted') await (await hostedSession()).giveToRunner(path)
}

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await runCommand('git', ['-C', dir, ...args])).stdout.trim()
}

async function commit(repo: string, versions: Versions, message: string): Promise<string> {
  await writeFile(join(repo, 'flake.nix'), fleetFlake(versions))
  await git(repo, 'add', '-A')
  await git(repo, 'commit', '-q', '-m', message)
  return git(repo, 'rev-parse', 'HEAD')
}

async function toplevelAt(flakeRef: string, host: string): Promise<string> {
  return (
    await runCommand('nix', [
      '--extra-experimental-features',
      'nix-command flakes',
      'eval',
      '--raw',
      `${flakeRef}#nixosConfigurations.${host}.config.system.build.toplevel.outPath`
    ])
  ).stdout
}

async function narinfoOnServer(server: Server, path: string): Promise<NarInfo | undefined> {
  const text = await readFile(join(server.dataDir, CACHE, `${hashPart(path)}.narinfo`), 'utf8').catch(() => undefined)
  return text === undefined ? undefined : parseNarInfo(text)
}

/** The closure of `root` as the server holds it, walked from its narinfo files. */
async function closureOnServer(server: Server, root: string): Promise<Map<string, NarInfo>> {
  const found = new Map<string, NarInfo>()
  const queue = [root]
  while (queue.length > 0) {
    const path = queue.pop() as string
    if (found.has(path)) continue
    const info = await narinfoOnServer(server, path)
    if (info === undefined) throw new Error(`${path} is not on the server`)
    found.set(path, info)
    queue.push(...info.references.map(fullPath))
  }
  return found
}

async function cli(args: string[]): Promise<RunResult> {
  return runCommand(process.execPath, [join(distDir(), 'cli', 'index.js'), ...args], {
    env: { ...process.env, CACHIX_AUTH_TOKEN: '', CACHIX_SIGNING_KEY: '' },
    okCodes: [1, 2]
  })
}

interface AlphaDiff {
  outcome: string
  base: string
  head: string
  diff: {
    changed: { name: string; before: string[]; after: string[]; sizeDelta: number }[]
    added: { name: string; before: string[]; after: string[] }[]
    removed: { name: string; before: string[]; after: string[] }[]
    rebuilt: { name: string; before: string[]; after: string[] }[]
    before: { paths: number; narSize: number }
    after: { paths: number; narSize: number }
    download: { paths: number; fileSize: number; sizeUnknown: string[] }
  }
}

describe("closure diff per host: the action on a pull request, the planner's toplevels, the CLI", () => {
  let server: Server
  let api: GitHubStandIn
  let repo: string
  let origin: string
  const commits: Record<'mergeBase' | 'mainMoved' | 'head' | 'nextPush', string> = {
    mergeBase: '',
    mainMoved: '',
    head: '',
    nextPush: ''
  }
  const base: Versions = { hello: '2.12', gone: '1.0', tool: 'built by the base' }

  /** A fresh shallow clone of the PR branch, as actions/checkout leaves the workspace. */
  async function checkout(shallow = true, revision?: string): Promise<string> {
    const parent = await mkdtemp(join(tmpdir(), 'checkout-'))
    const dir = join(parent, 'fleet')
    await runCommand('git', ['clone', '-q', ...(shallow ? ['--depth=1'] : []), '--branch', 'pr', `file://${repo}`, dir])
    if (revision !== undefined) {
      if (shallow) await git(dir, 'fetch', '-q', '--depth=1', 'origin', revision)
      await git(dir, 'checkout', '-q', revision)
    }
    // Fetches from the checkout go to a remote the step's user owns, as https://github.com is to a runner.
    await git(dir, 'remote', 'set-url', 'origin', `file://${origin}`)
    await forRunner(parent)
    return dir
  }

  async function pullRequestRun(
    cwd: string,
    headSha: string,
    inputs: Record<string, string> = {}
  ): Promise<StepResult> {
    const eventPath = join(await mkdtemp(join(tmpdir(), 'event-')), 'event.json')
    await writeFile(
      eventPath,
      JSON.stringify({
        action: 'synchronize',
        number: PR,
        pull_request: { number: PR, base: { sha: commits.mainMoved, ref: 'main' }, head: { sha: headSha, ref: 'pr' } }
      })
    )
    await forRunner(dirname(eventPath))
    const job = await newJob()
    const all = {
      cachix: CACHE,
      'cachix-url': server.url,
      'cachix-auth-token': WRITE_TOKEN,
      system: 'x86_64-linux',
      'diff-base': 'auto',
      'github-token': GITHUB_TOKEN,
      'flake-input-cache': 'false',
      ...inputs
    }
    const env = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_API_URL: api.url,
      GITHUB_SHA: headSha
    }
    const step = await runStep({ step: 'main', job, cwd, inputs: all, env })
    await runStep({ step: 'post', job, cwd, inputs: all, env })
    return step
  }

  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
    api = await startGitHubStandIn(REPOSITORY, PR)
    repo = await mkdtemp(join(tmpdir(), 'fleet-repo-'))
    await git(repo, 'init', '-q', '-b', 'main')
    await git(repo, 'config', 'user.email', 'ci@example.org')
    await git(repo, 'config', 'user.name', 'ci')
    await writeFile(join(repo, 'nonce.txt'), nonce())
    await writeFile(join(repo, 'flake.lock'), '{"nodes":{"root":{}},"root":"root","version":7}\n')
    commits.mergeBase = await commit(repo, base, 'fleet as on main when the branch started')
    // main moves on after the branch point: a diff against the PR's base tip would show gone-1.1.
    commits.mainMoved = await commit(repo, { ...base, gone: '1.1' }, 'main: bump gone')
    await git(repo, 'checkout', '-q', '-b', 'pr', commits.mergeBase)
    commits.head = await commit(
      repo,
      { hello: '2.13', added: '0.5', tool: 'built by the head' },
      'PR: upgrade hello, add new-pkg, drop gone'
    )
    commits.nextPush = await commit(repo, { hello: '2.13', added: '0.6', tool: 'built by the head' }, 'PR: new-pkg 0.6')
    api.mergeBase = commits.mergeBase
    const originParent = await mkdtemp(join(tmpdir(), 'origin-'))
    origin = join(originParent, 'fleet.git')
    await runCommand('git', ['clone', '-q', '--bare', repo, origin])
    await forRunner(originParent)

    // main was built and pushed at the merge base, for alpha only: beta's base is not in the cache.
    const alphaBase = await toplevelAt(`git+file://${repo}?rev=${commits.mergeBase}`, 'alpha')
    await runCommand('nix', [
      '--extra-experimental-features',
      'nix-command flakes',
      'build',
      '--no-link',
      `git+file://${repo}?rev=${commits.mergeBase}#nixosConfigurations.alpha.config.system.build.toplevel`,
      '--option',
      'substituters',
      ''
    ])
    // The token as `cachix authtoken` leaves it (children never get CACHIX_AUTH_TOKEN).
    const home = await cachixConfigHome()
    const pushed = await runCommand(
      process.execPath,
      [join(distDir(), 'cli', 'index.js'), 'push', '--cache', CACHE, '--cachix-url', server.url, alphaBase],
      { env: { ...process.env, XDG_CONFIG_HOME: home } }
    )
    expect(pushed.stderr).toMatch(/fleet: pushed 5 paths .* 0 failed/)
  }, 300_000)
  afterAll(async () => {
    await api.close()
    await server.close()
  })

  let first: StepResult
  let alpha: AlphaDiff

  it('on a pull request: the diff against the merge base names exactly what changed, with the sizes the cache holds', async () => {
    first = await pullRequestRun(await checkout(true, commits.head), commits.head)
    expect(first.code).toBe(0)
    const diff = JSON.parse(first.outputs.diff) as Record<string, AlphaDiff>
    alpha = diff.alpha
    const baseToplevel = await toplevelAt(`git+file://${repo}?rev=${commits.mergeBase}`, 'alpha')
    expect(alpha.outcome).toBe('compared')
    expect(alpha.base).toBe(baseToplevel)
    expect(alpha.head).toBe(await toplevelAt(`git+file://${repo}?rev=${commits.head}`, 'alpha'))
    expect(alpha.diff.changed.map(({ name, before, after }) => ({ name, before, after }))).toEqual([
      { name: 'hello', before: ['2.12'], after: ['2.13'] }
    ])
    expect(alpha.diff.added).toEqual([expect.objectContaining({ name: 'new-pkg', before: [], after: ['0.5'] })])
    expect(alpha.diff.removed).toEqual([expect.objectContaining({ name: 'gone', before: ['1.0'], after: [] })])
    expect(alpha.diff.rebuilt).toEqual([expect.objectContaining({ name: 'tool', before: ['1.0'], after: ['1.0'] })])

    const before = await closureOnServer(server, alpha.base)
    const after = await closureOnServer(server, alpha.head)
    const narSum = (infos: Iterable<NarInfo>) => [...infos].reduce((sum, i) => sum + i.narSize, 0)
    expect(alpha.diff.before).toEqual({ paths: before.size, narSize: narSum(before.values()) })
    expect(alpha.diff.after).toEqual({ paths: after.size, narSize: narSum(after.values()) })
    const lacking = [...after.values()].filter(i => !before.has(i.storePath))
    // toplevel, hello-2.13, new-pkg-0.5, tool-1.0 (rebuilt); zlib is shared.
    expect(lacking).toHaveLength(4)
    expect(alpha.diff.download).toEqual({
      paths: 4,
      fileSize: lacking.reduce((sum, i) => sum + (i.fileSize ?? 0), 0),
      sizeUnknown: []
    })
    const hello = (infos: Map<string, NarInfo>, version: string) =>
      [...infos.values()].find(i => i.storePath.endsWith(`-hello-${version}`))?.narSize ?? NaN
    expect(alpha.diff.changed[0].sizeDelta).toBe(hello(after, '2.13') - hello(before, '2.12'))

    // beta's base toplevel was never pushed: said so, and nothing guessed.
    expect(diff.beta).toEqual({
      outcome: 'base-not-in-cache',
      base: await toplevelAt(`git+file://${repo}?rev=${commits.mergeBase}`, 'beta'),
      head: await toplevelAt(`git+file://${repo}?rev=${commits.head}`, 'beta')
    })
    expect(first.summary).toContain('## Closure diff against the merge base')
    expect(first.summary).toContain('| hello | changed | 2.12 | 2.13 |')
    expect(first.summary).toMatch(
      /the base toplevel \/nix\/store\/\S+-nixos-system-beta-26.05 is not in the cache fleet/
    )
    // The shallow checkout cannot tell the merge base: GitHub's compare API was asked.
    expect(
      api.requests.some(
        r => r.method === 'GET' && r.path === `/repos/${REPOSITORY}/compare/${commits.mainMoved}...${commits.head}`
      )
    ).toBe(true)
  }, 300_000)

  it('posts one sticky comment, and the next push updates it instead of adding one', async () => {
    expect(api.comments).toHaveLength(1)
    const [created] = api.comments
    expect(created.body).toContain('<!-- nix-cachix-build:closure-diff -->')
    expect(created.body).toContain('| new-pkg | added | ∅ | 0.5 |')
    expect(created.body).toContain(`head: \`${commits.head.slice(0, 12)}\``)
    expect(
      api.requests.filter(r => r.path.startsWith('/repos/')).every(r => r.authorization === `token ${GITHUB_TOKEN}`)
    ).toBe(true)
    expect(first.stdout).toMatch(
      /Pull request comment created: https:\/\/github.com\/krit\/fleet\/pull\/7#issuecomment-/
    )

    const second = await pullRequestRun(await checkout(), commits.nextPush)
    expect(second.code).toBe(0)
    expect(api.comments).toHaveLength(1)
    expect(api.comments[0].id).toBe(created.id)
    expect(api.comments[0].body).toContain('| new-pkg | added | ∅ | 0.6 |')
    expect(api.comments[0].body).not.toContain('0.5')
    expect(api.requests.filter(r => r.method === 'PATCH')).toHaveLength(1)
    expect(api.requests.filter(r => r.method === 'POST')).toHaveLength(1)
    expect(second.stdout).toContain('Pull request comment updated')
  }, 300_000)

  it('without pull-requests: write (403), or without a token: one notice, exit 0, the diff still in the outputs', async () => {
    api.forbidWrites = true
    const bodyBefore = api.comments[0].body
    try {
      // Without a token GitHub cannot be asked for the merge base, so that run has the full history.
      for (const [inputs, shallow] of [
        [{}, true],
        [{ 'github-token': '' }, false]
      ] as const) {
        // At another commit than the comment shows, so the run has to write.
        const forbidden = await pullRequestRun(await checkout(shallow, commits.head), commits.head, inputs)
        expect(forbidden.code).toBe(0)
        const notices = forbidden.stdout
          .split('\n')
          .filter(l => l.startsWith('::notice::') && l.includes('closure-diff comment'))
        expect(notices).toHaveLength(1)
        expect(notices[0]).toContain('permissions: pull-requests: write')
        expect(forbidden.stdout).not.toMatch(/^::(warning|error)::.*comment/m)
        expect((JSON.parse(forbidden.outputs.diff) as Record<string, AlphaDiff>).alpha.outcome).toBe('compared')
      }
    } finally {
      api.forbidWrites = false
    }
    expect(api.comments).toHaveLength(1)
    expect(api.comments[0].body).toBe(bodyBefore)
  }, 300_000)

  it('a planner run on the base gives diff-base its toplevels: the build job evaluates no base and reports the same diff', async () => {
    const baseCheckout = await checkout(true, commits.mergeBase)
    const plan = await runStep({
      step: 'plan',
      job: await newJob(),
      cwd: baseCheckout,
      inputs: { cachix: CACHE, 'cachix-url': server.url, 'skip-cached': 'false' },
      actionFile: join(REPO, 'plan', 'action.yml')
    })
    expect(plan.code).toBe(0)
    const toplevels = JSON.parse(plan.outputs.toplevels) as Record<string, string>
    expect(toplevels.alpha).toBe(alpha.base)

    const cwd = await checkout(true, commits.head)
    const job = await newJob()
    const step = await runStep({
      step: 'main',
      job,
      cwd,
      inputs: {
        cachix: CACHE,
        'cachix-url': server.url,
        'cachix-auth-token': WRITE_TOKEN,
        system: 'x86_64-linux',
        'diff-base': plan.outputs.toplevels,
        'flake-input-cache': 'false'
      },
      env: { GITHUB_EVENT_NAME: 'push', GITHUB_REPOSITORY: REPOSITORY, GITHUB_API_URL: api.url }
    })
    expect(step.code).toBe(0)
    expect(step.stdout).not.toContain('Evaluating alpha, beta at')
    expect((JSON.parse(step.outputs.diff) as Record<string, AlphaDiff>).alpha).toEqual(alpha)
    expect(step.summary).toContain('## Closure diff against the toplevels given in diff-base')
  }, 300_000)

  it('CLI: diff against a revision prints what changes and the download, --json the same diff as the action', async () => {
    await git(repo, 'checkout', '-q', commits.head)
    try {
      const text = await cli([
        'diff',
        '--cache',
        CACHE,
        '--cachix-url',
        server.url,
        '--flake',
        repo,
        'alpha',
        '--base',
        commits.mergeBase
      ])
      expect(text.code).toBe(0)
      const lines = text.stdout.trimEnd().split('\n')
      expect(lines[0]).toBe(`alpha: ${alpha.base} → ${alpha.head}`)
      expect(lines.slice(1, 5).map(l => l.replace(/, (\+|-|±)\S+ \S+$/, ''))).toEqual([
        '  hello: 2.12 → 2.13',
        '  new-pkg: ∅ → 0.5',
        '  gone: 1.0 → ∅',
        '  tool: rebuilt (1.0)'
      ])
      expect(lines[6]).toMatch(/^ {2}download to switch: 4 paths, \d+(\.\d)? (B|KiB)$/)

      const json = await cli([
        'diff',
        '--cache',
        CACHE,
        '--cachix-url',
        server.url,
        '--flake',
        repo,
        'alpha',
        '--base',
        commits.mergeBase,
        '--json'
      ])
      expect(JSON.parse(json.stdout)).toEqual({ alpha })

      // Without --base it compares with the running system, which this machine (no NixOS) lacks.
      const running = await cli(['diff', '--cache', CACHE, '--cachix-url', server.url, '--flake', repo, 'alpha'])
      expect(running.code).toBe(2)
      expect(running.stderr.trim().split('\n')).toEqual([
        'nix-cachix-build: no --base given and /run/current-system does not exist here: give --base REV (e.g. --base origin/main)'
      ])

      const beta = await cli([
        'diff',
        '--cache',
        CACHE,
        '--cachix-url',
        server.url,
        '--flake',
        repo,
        'beta',
        '--base',
        commits.mergeBase
      ])
      expect(beta.code).toBe(1)
      expect(beta.stdout).toMatch(
        /^beta: the base toplevel \/nix\/store\/\S+-nixos-system-beta-26.05 is not in the cache fleet/
      )
    } finally {
      await git(repo, 'checkout', '-q', 'pr')
    }
  }, 300_000)
})
