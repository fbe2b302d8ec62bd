import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server, type Socket } from 'node:net'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { runCommand } from '../../src/util/process.js'
import { chooseBuildDir, mayFreeDisk, removalPaths, REMOVED_TOOLCHAINS } from '../../src/machine/disk-space.js'
import { probeCacheInfo } from '../../src/action/phases/host-substituters.js'
import { derivationName, FailedBuildWatcher, logTail } from '../../src/nix-build/build-failures.js'
import { cacheInfoUrl, mergeHostCaches, probeSubstituters, substituterIdentity } from '../../src/nix/substituters.js'
import { selectHosts } from '../../src/hosts/select.js'
import { systemsExpression } from '../../src/hosts/configurations.js'
import { renderEvalFailures, renderPlanSummary } from '../../src/report/plan-summary.js'
import { errorExcerpt } from '../../src/hosts/eval-error.js'
import { mapLimit } from '../../src/util/async.js'
import { derivationsBuilt } from '../../src/nix/build-log.js'
import { parsePlanInputs } from '../../src/plan/inputs.js'
import { planAttributes } from '../../src/plan/matrix.js'
import { failedBuildFinding, renderFailedBuilds } from '../../src/report/failed-builds.js'

describe('host substituters', () => {
  it.each([
    ['https://hyprland.cachix.org', 'https://hyprland.cachix.org'],
    ['https://cosmic.cachix.org/?priority=20', 'https://cosmic.cachix.org'],
    ['http://nas.tailnet.ts.net:8081/fleet?priority=5&want-mass-query=true', 'http://nas.tailnet.ts.net:8081/fleet'],
    ['file:///var/cache/nix', 'file:///var/cache/nix']
  ])('%s is the cache %s', (url, identity) => {
    expect(substituterIdentity(url)).toBe(identity)
  })

  it('merges substituters and extra-substituters of every host, query strings kept, each cache once', () => {
    const merged = mergeHostCaches(
      [
        {
          substituters: ['https://cache.nixos.org', 'https://hyprland.cachix.org?priority=20'],
          trustedPublicKeys: ['cache.nixos.org-1:abc', 'hyprland.cachix.org-1:def']
        },
        {
          substituters: [
            'https://hyprland.cachix.org/',
            'https://walker.cachix.org',
            'https://fleet.cachix.org?priority=41'
          ],
          trustedPublicKeys: ['hyprland.cachix.org-1:def', 'walker.cachix.org-1:ghi']
        }
      ],
      ['https://fleet.cachix.org']
    )
    expect(merged.substituters).toEqual([
      'https://cache.nixos.org',
      'https://hyprland.cachix.org?priority=20',
      'https://walker.cachix.org'
    ])
    expect(merged.trustedPublicKeys).toEqual([
      'cache.nixos.org-1:abc',
      'hyprland.cachix.org-1:def',
      'walker.cachix.org-1:ghi'
    ])
  })

  it.each([
    ['https://cosmic.cachix.org/?priority=20', 'https://cosmic.cachix.org/nix-cache-info'],
    ['http://127.0.0.1:8081/fleet', 'http://127.0.0.1:8081/fleet/nix-cache-info'],
    ['daemon', undefined],
    ['s3://bucket?region=eu-west-1', undefined],
    ['file:///var/cache/nix', undefined]
  ])('probes %s at %s', (url, info) => {
    expect(cacheInfoUrl(url)).toBe(info)
  })

  it('probes all at once and drops those that do not answer, with the reason', async () => {
    const asked: string[] = []
    let inFlight = 0
    let most = 0
    const outcome = await probeSubstituters(
      ['https://a.example?priority=1', 'daemon', 'https://b.example', 'https://c.example'],
      5000,
      async url => {
        asked.push(url)
        most = Math.max(most, ++inFlight)
        await new Promise(r => setTimeout(r, 20))
        inFlight--
        return url.includes('b.example') ? 'no answer within 5 s' : undefined
      }
    )
    expect(asked).toEqual([
      'https://a.example/nix-cache-info',
      'https://b.example/nix-cache-info',
      'https://c.example/nix-cache-info'
    ])
    expect(most).toBe(3)
    expect(outcome.reachable).toEqual(['https://a.example?priority=1', 'daemon', 'https://c.example'])
    expect([...outcome.dropped]).toEqual([['https://b.example', 'no answer within 5 s']])
  })

  describe('the real probe', () => {
    let silent: Server
    const sockets: Socket[] = []
    let port = 0
    beforeAll(async () => {
      // Accepts connections and never answers: a cache behind a dropped route.
      silent = createServer(socket => sockets.push(socket))
      await new Promise<void>(r => silent.listen(0, '127.0.0.1', r))
      port = (silent.address() as { port: number }).port
    })
    afterAll(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(r => silent.close(r))
    })

    it('gives up on a silent cache after the timeout', async () => {
      const started = Date.now()
      expect(await probeCacheInfo(`http://127.0.0.1:${port}/nix-cache-info`, 300)).toBe('no answer within 0.3 s')
      expect(Date.now() - started).toBeLessThan(2000)
    })

    it('names a refused connection', async () => {
      expect(await probeCacheInfo('http://127.0.0.1:9/nix-cache-info', 1000)).toMatch(
        /could not be reached \(.*ECONNREFUSED/
      )
    })
  })
})

describe('what an evaluation built', () => {
  it.each<[string, string, string[]]>([
    ['nothing: no building line', "evaluating 'x'...\ncopying path '/nix/store/aaaa-y' from 'https://cache'...\n", []],
    [
      'each derivation once, in order',
      "building '/nix/store/aaaa-gen.drv'...\nbuilding '/nix/store/bbbb-opts.drv'...\nbuilding '/nix/store/aaaa-gen.drv'...\n",
      ['/nix/store/aaaa-gen.drv', '/nix/store/bbbb-opts.drv']
    ],
    [
      'only at the start of a line (a builder that echoes the phrase is not a build)',
      "gen> building '/nix/store/cccc-x.drv'\n",
      []
    ]
  ])('%s', (_, stderr, built) => {
    expect(derivationsBuilt(stderr)).toEqual(built)
  })
})

describe('scoped evaluation', () => {
  it('a leg that names its hosts evaluates only those', () => {
    expect(systemsExpression('nixos', [])).toBe(systemsExpression('nixos'))
    expect(systemsExpression('nixos', ['a', "b'c"])).toBe(
      'cs: builtins.mapAttrs (n: c: if { "a" = null; "b\'c" = null; } ? ${n} then c.config.system.build.toplevel.system else null) cs'
    )
  })

  it('selects named hosts whose systems were not evaluated for the others', () => {
    expect(selectHosts({ a: 'x86_64-linux', b: null, c: null }, ['a'], 'x86_64-linux')).toEqual({
      hosts: ['a'],
      otherSystems: ['b', 'c']
    })
    expect(() => selectHosts({ a: 'x86_64-linux', b: null }, ['z'], 'x86_64-linux')).toThrow(
      'host z not found in the flake (it has: a, b)'
    )
  })
})

describe('the planner, one evaluation per host', () => {
  it('runs at most `limit` at once and keeps the order', async () => {
    let inFlight = 0
    let most = 0
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async n => {
      most = Math.max(most, ++inFlight)
      await new Promise(r => setTimeout(r, n * 5))
      inFlight--
      return n * 10
    })
    expect(results).toEqual([50, 10, 40, 20, 30])
    expect(most).toBe(2)
  })

  it.each([
    [
      'warning: Git tree is dirty\nerror: host b does not evaluate: fixture says so\n',
      'error: host b does not evaluate: fixture says so'
    ],
    // Newer Nix: the trace first, the message last; the excerpt leads with the message.
    [
      'error:\n       … while evaluating the attribute\n\n       at /nix/store/x/flake.nix:3:5:\n\n       error: boom\n',
      'error: boom\n       … while evaluating the attribute\n       at /nix/store/x/flake.nix:3:5:'
    ],
    [
      "error:\n       … while calling the 'throw' builtin\n         at /nix/store/x/flake.nix:25:51:\n           24|   a\n           25|   b\n             |   ^\n           26|   c\n\n       error: host d does not evaluate: fixture says so\n",
      "error: host d does not evaluate: fixture says so\n       … while calling the 'throw' builtin\n         at /nix/store/x/flake.nix:25:51:\n           24|   a\n           25|   b\n             |   ^\n… (1 more lines)"
    ],
    ['error: 1\n2\n3\n4\n5\n6\n7\n8\n', 'error: 1\n2\n3\n4\n5\n6\n… (2 more lines)'],
    ['', 'nix eval failed without an error message']
  ])('shows the message and the first lines of the error of %j', (stderr, excerpt) => {
    expect(errorExcerpt(stderr)).toBe(excerpt)
  })

  it('eval-jobs defaults to the number of cores and must be a positive number', () => {
    const read = (values: Record<string, string>) => (name: string) => values[name] ?? ''
    expect(parsePlanInputs(read({}), 8).evalJobs).toBe(8)
    expect(parsePlanInputs(read({ 'eval-jobs': '3' }), 8).evalJobs).toBe(3)
    expect(() => parsePlanInputs(read({ 'eval-jobs': '0' }), 8)).toThrow(
      'input eval-jobs: "0" is not a positive whole number'
    )
  })

  it('the summary names each host that does not evaluate with its error', () => {
    expect(renderEvalFailures([])).toBe('')
    expect(renderEvalFailures([{ name: 'b', error: 'error: boom\nat x' }])).toBe(
      '\n### Hosts that do not evaluate (no row)\n\n- **b** does not evaluate:\n\n  ```\n  error: boom\n  at x\n  ```\n'
    )
  })
})

describe('failures say why', () => {
  const DRV = '/nix/store/yllzv3s16yrig0019w986qpsdanb75m3-broken-a-xf1.drv'
  const TOP = '/nix/store/28ix53cscfhbm3bs8kfimracb6cwrrf6-nixos-system-a-xf1.drv'
  it.each([
    [
      'Nix 2.8 to 2.18',
      [
        `broken-a-xf1> broken-line-40`,
        `error: builder for '${DRV}' failed with exit code 1`,
        `error: 1 dependencies of derivation '${TOP}' failed to build`
      ]
    ],
    [
      'Nix 2.19 and later',
      [
        `error: Cannot build '${DRV}'.`,
        '       Reason: builder failed with exit code 1.',
        `error: Cannot build '${TOP}'.`,
        '       Reason: 1 dependency failed.'
      ]
    ]
  ])('finds the derivations whose builder failed (%s), not those that waited on them', (_nix, lines) => {
    const watcher = new FailedBuildWatcher()
    for (const line of [...lines, ...lines]) watcher.onLine(line)
    expect(watcher.derivations()).toEqual([DRV])
  })

  it('keeps the last lines each derivation printed', () => {
    const watcher = new FailedBuildWatcher()
    for (let i = 1; i <= 40; i++) watcher.onLine(`broken-a-xf1> broken-line-${i}`)
    watcher.onLine('other> x')
    const kept = watcher.printedLog('broken-a-xf1').split('\n')
    expect(kept).toHaveLength(25)
    expect(kept[0]).toBe('broken-line-16')
    expect(watcher.printedLog('other')).toBe('x')
  })

  it('names the derivation and shows the last 25 lines of its log', () => {
    expect(derivationName(DRV)).toBe('broken-a-xf1')
    const log = Array.from({ length: 40 }, (_, i) => `broken-line-${i + 1}`).join('\n') + '\n\n'
    const tail = logTail(log)
    expect(tail).toHaveLength(25)
    expect(tail[24]).toBe('broken-line-40')
    const build = { drvPath: DRV, name: 'broken-a-xf1', logTail: tail }
    expect(failedBuildFinding(build)).toEqual({
      level: 'error',
      message: `derivation broken-a-xf1 failed to build (${DRV}): broken-line-40; the job summary has the last 25 lines of its log`
    })
    const summary = renderFailedBuilds([build])
    expect(summary).toContain('<code>broken-a-xf1</code>: last 25 lines of <code>nix log')
    expect(summary).toContain('broken-line-16\n')
    expect(summary).not.toContain('broken-line-15\n')
    expect(renderFailedBuilds([])).toBe('')
    // A log with a code fence in it cannot end the summary's block early.
    expect(renderFailedBuilds([{ ...build, logTail: ['```', 'x'] }])).toContain('````\n```\nx\n````')
  })
})

describe('pre-warm rows', () => {
  const runners = { 'x86_64-linux': 'ubuntu-latest', 'aarch64-linux': 'ubuntu-24.04-arm' }
  it("one row per uncached attribute, marked as an attribute, on its system's runner", () => {
    const attributes = [
      { name: 'nixosConfigurations.desktop.pkgs.thunderbird', system: 'x86_64-linux', outPath: '/nix/store/a' },
      { name: 'nixosConfigurations.pi.pkgs.kodi', system: 'aarch64-linux', outPath: '/nix/store/b' },
      { name: 'nixosConfigurations.desktop.pkgs.firefox', system: 'x86_64-linux', outPath: '/nix/store/c' },
      { name: 'packages.riscv64-linux.x', system: 'riscv64-linux', outPath: '/nix/store/d' }
    ]
    expect(planAttributes(attributes, new Set(['/nix/store/c']), runners)).toEqual({
      rows: [
        {
          attribute: 'nixosConfigurations.desktop.pkgs.thunderbird',
          system: 'x86_64-linux',
          runner: 'ubuntu-latest',
          kind: 'attribute'
        },
        {
          attribute: 'nixosConfigurations.pi.pkgs.kodi',
          system: 'aarch64-linux',
          runner: 'ubuntu-24.04-arm',
          kind: 'attribute'
        }
      ],
      cached: ['nixosConfigurations.desktop.pkgs.firefox'],
      unmapped: ['packages.riscv64-linux.x']
    })
  })

  it('the planner reads attributes as attribute paths', () => {
    const read = (values: Record<string, string>) => (name: string) => values[name] ?? ''
    expect(
      parsePlanInputs(read({ attributes: 'nixosConfigurations.a.pkgs.big,\nnixosConfigurations."b".pkgs.big' }))
        .attributes
    ).toEqual(['nixosConfigurations.a.pkgs.big', 'nixosConfigurations."b".pkgs.big'])
    expect(() => parsePlanInputs(read({ attributes: 'nixos..x' }))).toThrow(
      'input attributes: "nixos..x" is not an attribute path'
    )
  })
})

describe("the planner's evaluation settings", () => {
  const read = (values: Record<string, string>) => (name: string) => values[name] ?? ''
  it('reads github-token, extra-nix-config and extra-pull-caches', () => {
    const inputs = parsePlanInputs(
      read({
        'github-token': 'ghs_x',
        'extra-nix-config': '# why\nallow-import-from-derivation = false\n',
        'extra-pull-caches': 'hyprland, cosmic'
      })
    )
    expect(inputs).toMatchObject({
      githubToken: 'ghs_x',
      extraNixConfig: '# why\nallow-import-from-derivation = false\n',
      extraPullCaches: ['hyprland', 'cosmic']
    })
  })
  it.each([
    [{ 'github-token': 'ghs_a b' }, 'input github-token: contains white space or a control character'],
    [{ 'extra-nix-config': 'just words' }, 'input extra-nix-config: line "just words" is not "name = value"'],
    [{ 'extra-pull-caches': 'Bad_Name' }, 'input extra-pull-caches: "Bad_Name" is not a Cachix cache name']
  ])('refuses %j', (values, message) => {
    expect(() => parsePlanInputs(read(values))).toThrow(message)
  })
})

describe('examples/build.yml with pre-warm rows and evaluation failures', () => {
  const workflow = parse(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'build.yml'), 'utf8')) as {
    jobs: Record<
      string,
      {
        outputs?: Record<string, string>
        name?: string
        steps: { uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, string> }[]
      }
    >
  }
  it("plans a pre-warm attribute and passes each row's host or attribute to its leg", () => {
    expect(workflow.jobs.plan.steps[1].with?.attributes).toBe('nixosConfigurations.desktop.pkgs.thunderbird')
    expect(workflow.jobs.build.steps[1].with).toMatchObject({
      hosts: '${{ matrix.host }}',
      attributes: '${{ matrix.attribute }}',
      'free-disk-space': "${{ matrix.kind != 'darwin' }}"
    })
    expect(workflow.jobs.build.name).toBe('${{ matrix.host || matrix.attribute }} (${{ matrix.system }})')
  })

  it('the report fails when a host did not evaluate, though the plan succeeded', async () => {
    const step = workflow.jobs.report.steps.find(s => s.run !== undefined)!
    expect(step.env?.EVAL_FAILED).toBe('${{ needs.plan.outputs.eval-failed }}')
    expect(workflow.jobs.plan.outputs?.['eval-failed']).toBe('${{ steps.plan.outputs.eval-failed }}')
    const dir = await mkdtemp(join(tmpdir(), 'report-'))
    const summary = join(dir, 'summary.md')
    for (const [evalFailed, code] of [
      ['["d"]', 1],
      ['[]', 0]
    ] as const) {
      const env = {
        PATH: process.env.PATH,
        GITHUB_STEP_SUMMARY: summary,
        PLAN: 'success',
        BUILD: 'success',
        CACHED: '[]',
        EVAL_FAILED: evalFailed
      }
      expect(
        (await runCommand('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], { env, okCodes: [1] }))
          .code
      ).toBe(code)
    }
    expect(await readFile(summary, 'utf8')).toContain('hosts that do not evaluate (see the plan job\'s summary): ["d"]')
  })
})

describe('free-disk-space', () => {
  it('removes exactly the documented list, under the root it is given', () => {
    expect(removalPaths('/')).toEqual([
      '/usr/share/dotnet',
      '/usr/local/lib/android',
      '/opt/ghc',
      '/usr/local/.ghcup',
      '/opt/hostedtoolcache/CodeQL',
      '/usr/share/swift'
    ])
    expect(removalPaths('/tmp/prefix/')).toEqual(removalPaths('/').map(p => `/tmp/prefix${p}`))
    expect(REMOVED_TOOLCHAINS.map(t => t.what)).toEqual(['.NET', 'Android SDK', 'GHC', 'ghcup', 'CodeQL', 'Swift'])
  })

  it('docs/how-it-works.md lists the same entries', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'how-it-works.md'), 'utf8')
    for (const { path } of REMOVED_TOOLCHAINS) expect(readme).toContain(`\`${path}\``)
  })

  it.each([
    ['github-hosted', 'Linux', true, undefined],
    ['self-hosted', 'Linux', false, 'RUNNER_ENVIRONMENT is "self-hosted", not github-hosted'],
    [undefined, 'Linux', false, 'RUNNER_ENVIRONMENT is not set, not github-hosted'],
    ['github-hosted', 'macOS', false, 'the removal list is for GitHub-hosted Ubuntu, and this runner is macOS']
  ])('RUNNER_ENVIRONMENT %s on %s: allowed %s', (environment, os, ok, why) => {
    const verdict = mayFreeDisk(environment, os)
    expect(verdict.ok).toBe(ok)
    if (!verdict.ok) expect(verdict.why).toContain(why)
  })

  const GiB = 1024 ** 3
  it.each([
    [
      '/mnt has more room on its own disk',
      { mount: '/', device: 1, freeBytes: 20 * GiB },
      [{ mount: '/mnt', device: 2, freeBytes: 70 * GiB }],
      '/mnt'
    ],
    [
      '/ has more room',
      { mount: '/', device: 1, freeBytes: 80 * GiB },
      [{ mount: '/mnt', device: 2, freeBytes: 70 * GiB }],
      undefined
    ],
    [
      '/mnt is on the same disk',
      { mount: '/', device: 1, freeBytes: 20 * GiB },
      [{ mount: '/mnt', device: 1, freeBytes: 20 * GiB }],
      undefined
    ],
    ['there is no /mnt', { mount: '/', device: 1, freeBytes: 20 * GiB }, [], undefined]
  ])('build-dir: %s', (_why, root, others, choice) => {
    expect(chooseBuildDir(root, others)).toBe(choice)
  })
})

describe('the plan summary', () => {
  it('lists host and pre-warm rows, what is cached, and what does not evaluate', () => {
    const summary = renderPlanSummary(
      {
        rows: [
          { host: 'a', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' },
          { host: 'mac', system: 'aarch64-darwin', runner: 'macos-15', kind: 'darwin' }
        ],
        cached: ['b']
      },
      {
        rows: [
          {
            attribute: 'nixosConfigurations.a.pkgs.big',
            system: 'x86_64-linux',
            runner: 'ubuntu-latest',
            kind: 'attribute'
          }
        ],
        cached: ['nixosConfigurations.b.pkgs.big']
      },
      [{ name: 'd', error: 'error: boom' }]
    )
    expect(summary).toBe(
      '## nix-cachix-build plan\n\n- a (x86_64-linux) on `ubuntu-latest`\n- mac (nix-darwin, aarch64-darwin) on `macos-15`\n- pre-warm nixosConfigurations.a.pkgs.big (x86_64-linux) on `ubuntu-latest`\n\nAlready cached: b, nixosConfigurations.b.pkgs.big\n' +
        renderEvalFailures([{ name: 'd', error: 'error: boom' }])
    )
    expect(renderPlanSummary({ rows: [], cached: [] }, { rows: [], cached: [] }, [])).toBe(
      '## nix-cachix-build plan\n\nNothing to build: everything is cached.\n'
    )
  })
})
