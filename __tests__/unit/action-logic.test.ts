import { describe, expect, it } from '@jest/globals'
import { decideQemu, matchesAarch64, parseBinfmtEntry, registrationLine } from '../../src/machine/binfmt.js'
import { parseInputs } from '../../src/action/inputs.js'
import { parseDryRun } from '../../src/nix-build/nix-build.js'
import {
  BLOCK_BEGIN,
  BLOCK_END,
  existingPostBuildHook,
  renderManagedBlock,
  renderNetrc,
  replaceManagedBlock
} from '../../src/nix/conf/render.js'
import { installerArgs } from '../../src/nix/install.js'
import { parseSpool, renderHookScript } from '../../src/nix-build/post-build-hook.js'
import { formatCoverage, renderSummary, runStatus, type HostResult } from '../../src/report/summary.js'
import { selectHosts } from '../../src/hosts/select.js'
import { makePushFilter } from '../../src/push/filter.js'
import { nextDelay, parseRetryAfter } from '../../src/cachix/retry-policy.js'
import { runCommand } from '../../src/util/process.js'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const DEBIAN_ENTRY = `enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: POF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`
const F_ENTRY = DEBIAN_ENTRY.replace('flags: POF', 'flags: F').replace(
  '/usr/libexec/qemu-binfmt/aarch64-binfmt-P',
  '/usr/bin/qemu-aarch64-static'
)
const RISCV_ENTRY = DEBIAN_ENTRY.replace('0200b700', '0200f300')
const NO_F_ENTRY = DEBIAN_ENTRY.replace('flags: POF', 'flags: OC')

describe('binfmt', () => {
  const entry = (text: string, name = 'qemu-aarch64') => parseBinfmtEntry(name, text)!
  it('matches aarch64 entries by bytes, whatever their name', () => {
    expect(matchesAarch64(entry(DEBIAN_ENTRY, 'aarch64-linux'))).toBe(true)
    expect(matchesAarch64(entry(RISCV_ENTRY))).toBe(false)
  })
  it.each([
    ['x86 leg', 'x86_64-linux', 'x86_64-linux', 'auto', [], 'skip'],
    ['native arm runner', 'aarch64-linux', 'aarch64-linux', 'auto', [], 'skip'],
    ['qemu false', 'aarch64-linux', 'x86_64-linux', 'false', [], 'skip'],
    ['nothing registered', 'aarch64-linux', 'x86_64-linux', 'auto', [], 'register'],
    ['registered without F (flags OC)', 'aarch64-linux', 'x86_64-linux', 'auto', [NO_F_ENTRY], 'replace'],
    ['registered by Debian (flags POF)', 'aarch64-linux', 'x86_64-linux', 'auto', [DEBIAN_ENTRY], 'skip'],
    ['registered with F', 'aarch64-linux', 'x86_64-linux', 'auto', [F_ENTRY], 'skip'],
    ['only another architecture', 'aarch64-linux', 'x86_64-linux', 'auto', [RISCV_ENTRY], 'register']
  ] as const)('%s: %s on %s → %s', (_why, target, native, mode, entries, action) => {
    expect(
      decideQemu(
        target,
        native,
        mode,
        entries.map(t => entry(t))
      ).action
    ).toBe(action)
  })
  it('registers with the F flag and the standard magic', () => {
    expect(registrationLine('/usr/bin/qemu-aarch64-static')).toBe(
      ':qemu-aarch64:M:0:\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/bin/qemu-aarch64-static:F'
    )
  })
})

describe('nix.conf block', () => {
  const block = renderManagedBlock({
    substituters: ['https://fleet.cachix.org', 'https://fleet.cachix.org', 'https://extra.example'],
    trustedPublicKeys: ['fleet.cachix.org-1:abc='],
    extraPlatforms: ['aarch64-linux'],
    postBuildHook: '/tmp/hook.sh',
    trustedUsers: ['runner'],
    secretsFile: '/tmp/secrets.conf',
    extraConfig: 'keep-outputs = true',
    maxJobs: 'auto'
  })
  it('renders each setting once, with the hook and the secrets include', () => {
    expect(block).toContain('extra-substituters = https://fleet.cachix.org https://extra.example\n')
    expect(block).toContain('extra-platforms = aarch64-linux\n')
    expect(block).toContain('post-build-hook = /tmp/hook.sh\n')
    expect(block).toContain('!include /tmp/secrets.conf\n')
    expect(block).toContain('max-jobs = auto\n')
    expect(block.startsWith(BLOCK_BEGIN)).toBe(true)
    expect(block.trimEnd().endsWith(BLOCK_END)).toBe(true)
  })
  it.each([
    ['an empty file', ''],
    ['a file without a trailing newline', 'sandbox = true'],
    [
      'a file with an older block',
      `sandbox = true\n${renderManagedBlock({ substituters: ['x'], trustedPublicKeys: [], extraPlatforms: [], trustedUsers: [], extraConfig: '' })}trusted-users = root\n`
    ]
  ])('replacing and then removing the block restores %s', (_why, original) => {
    const withBlock = replaceManagedBlock(original, block)
    expect(withBlock.split(BLOCK_BEGIN)).toHaveLength(2)
    const restored = replaceManagedBlock(withBlock, undefined)
    const withoutOld = replaceManagedBlock(original, undefined)
    expect(restored.replace(/\n$/, '')).toBe(withoutOld.replace(/\n$/, ''))
  })
  it('finds an existing post-build-hook to chain', () => {
    expect(existingPostBuildHook('max-jobs = 1\npost-build-hook = /etc/nix/upload.sh\n')).toBe('/etc/nix/upload.sh')
    expect(existingPostBuildHook('post-build-hook = \n')).toBeUndefined()
  })
  it('netrc has one line per private cache host', () => {
    expect(
      renderNetrc([
        { host: 'fleet.cachix.org', password: 'a' },
        { host: 'private.example', password: 'b' }
      ])
    ).toBe('machine fleet.cachix.org password a\nmachine private.example password b\n')
  })
})

describe('post-build-hook', () => {
  it('appends DRV_PATH and OUT_PATHS, survives an unwritable spool and exits 0 (run by sh)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hook-'))
    const spool = join(dir, "sp'ool")
    const hook = join(dir, 'hook.sh')
    await writeFile(hook, renderHookScript(spool), { mode: 0o755 })
    await runCommand(hook, [], {
      env: { ...process.env, DRV_PATH: '/nix/store/a-x.drv', OUT_PATHS: '/nix/store/b-x /nix/store/c-x' }
    })
    await runCommand(hook, [], { env: { ...process.env, DRV_PATH: '/nix/store/d-y.drv', OUT_PATHS: '' } })
    expect(await readFile(spool, 'utf8')).toBe(
      '/nix/store/a-x.drv /nix/store/b-x /nix/store/c-x\n/nix/store/d-y.drv \n'
    )
    const broken = join(dir, 'hook2.sh')
    await writeFile(broken, renderHookScript('/nonexistent/dir/spool', '/bin/false'), { mode: 0o755 })
    expect((await runCommand(broken, [], { okCodes: [1] })).code).toBe(0)
  })
  it('parses complete lines and keeps a partial one for later', () => {
    expect(parseSpool('/nix/store/a.drv /nix/store/b\n/nix/store/c.drv \n/nix/store/d.d')).toEqual({
      entries: [
        { drvPath: '/nix/store/a.drv', outPaths: ['/nix/store/b'] },
        { drvPath: '/nix/store/c.drv', outPaths: [] }
      ],
      rest: '/nix/store/d.d'
    })
  })
})

describe('inputs', () => {
  const read = (values: Record<string, string>) => (name: string) => values[name] ?? ''
  it("defaults: this runner's system, keep going, skip cached, use host substituters, push auto", () => {
    expect(parseInputs(read({}), 'x64')).toMatchObject({
      flake: '.',
      system: 'x86_64-linux',
      keepGoing: true,
      skipCached: true,
      useHostSubstituters: true,
      push: 'auto',
      drainTimeoutSeconds: 600,
      pushJobs: 8
    })
    expect(parseInputs(read({}), 'arm64').system).toBe('aarch64-linux')
  })
  it('splits lists and extra arguments like a shell', () => {
    const inputs = parseInputs(
      read({ hosts: 'alpha, beta\ngamma', 'extra-args': `--option max-silent-time 60 --arg x "a b" 'c d'` }),
      'x64'
    )
    expect(inputs.hosts).toEqual(['alpha', 'beta', 'gamma'])
    expect(inputs.extraArgs).toEqual(['--option', 'max-silent-time', '60', '--arg', 'x', 'a b', 'c d'])
  })
  it('refuses an unsupported runner architecture when system is not given', () => {
    expect(() => parseInputs(read({}), 'ppc64')).toThrow(
      /input system: the runner's architecture ppc64 is not supported/
    )
  })
  it.each([
    ['1', '39', true],
    ['1', '40', false],
    ['10', '579', true],
    ['10', '600', false]
  ])(
    'time-budget %s min with drain-timeout %s s leaves time to build after the drain and the 20 s to stop nix: %s',
    (budget, drain, fits) => {
      const parse = (): unknown => parseInputs(read({ 'time-budget': budget, 'drain-timeout': drain }), 'x64')
      if (fits) expect(parse()).toMatchObject({ timeBudgetMinutes: Number(budget), drainTimeoutSeconds: Number(drain) })
      else
        expect(parse).toThrow(
          `input time-budget: ${budget} minutes leave no time to build after the ${drain} s drain-timeout and 20 s to stop nix`
        )
    }
  )
})

describe('host selection', () => {
  const systems = { alpha: 'x86_64-linux', beta: 'x86_64-linux', arm: 'aarch64-linux' }
  it.each([
    [[], 'x86_64-linux', ['alpha', 'beta']],
    [[], 'aarch64-linux', ['arm']],
    [['arm', 'alpha'], 'x86_64-linux', ['arm', 'alpha']]
  ])('%j on %s → %j', (requested, system, hosts) => {
    expect(selectHosts(systems, requested, system).hosts).toEqual(hosts)
  })
  it('names unknown hosts and lists the real ones', () => {
    expect(() => selectHosts(systems, ['gamma'], 'x86_64-linux')).toThrow(
      'host gamma not found in the flake (it has: alpha, arm, beta)'
    )
  })
})

describe('push filter', () => {
  const filter = makePushFilter(/-docker-image-/)
  it.each([
    ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello.drv', true],
    ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-self-test-bash-1700000000000', true],
    ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-docker-image-x', true],
    ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-2.12', false],
    ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-drv-tools', false]
  ])('%s excluded: %s', (path, excluded) => {
    expect(filter.excluded(path) !== undefined).toBe(excluded)
  })
})

describe('dry run output', () => {
  it('separates what is built from what is fetched', () => {
    const stderr = `these 2 derivations will be built:\n  /nix/store/a-x.drv\n  /nix/store/b-y.drv\nthese 3 paths will be fetched (0.00 MiB download, 0.01 MiB unpacked):\n  /nix/store/c\n  /nix/store/d\n  /nix/store/e\n`
    expect(parseDryRun(stderr)).toEqual({
      toBuild: ['/nix/store/a-x.drv', '/nix/store/b-y.drv'],
      toFetch: ['/nix/store/c', '/nix/store/d', '/nix/store/e'],
      unknown: []
    })
    expect(parseDryRun('this path will be fetched (1 MiB download):\n  /nix/store/z\n')).toEqual({
      toBuild: [],
      toFetch: ['/nix/store/z'],
      unknown: []
    })
    expect(parseDryRun("don't know how to build these paths:\n  /nix/store/q\n").unknown).toEqual(['/nix/store/q'])
  })
})

describe('report', () => {
  const host = (status: HostResult['status']): HostResult => ({
    id: 'h',
    system: 'x86_64-linux',
    toplevel: '/nix/store/x',
    status,
    built: 1,
    substituted: 2,
    pushed: 3,
    pushedBytes: 2048,
    seconds: 75,
    coverage: 1
  })
  it.each([
    [['built', 'cached'], [], 'ok'],
    [['built'], [{ level: 'notice' as const, message: 'n' }], 'ok'],
    [['built'], [{ level: 'warning' as const, message: 'w' }], 'problems'],
    [['built', 'failed'], [], 'failed'],
    [['unfinished'], [], 'failed']
  ] as const)('%j with %j is %s', (statuses, findings, status) => {
    expect(runStatus(statuses.map(host), [...findings])).toBe(status)
  })
  it('renders a row per host and the findings', () => {
    const text = renderSummary(
      't',
      [host('built')],
      { built: 1, substituted: 2, pushed: 3, pushedBytes: 2048, failedPushes: 0, leftovers: 0, coverage: 0.9995 },
      [{ level: 'warning', message: 'w1' }]
    )
    expect(text).toContain('| h | x86_64-linux | ✅ built | `/nix/store/x` | 1 | 2 | 3 | 2.0 KiB | 1 min 15 s | 100% |')
    expect(text).toContain('| built | to download | pushed |')
    expect(text).toContain('Built 1 derivations (the dry run planned 2 paths to download), pushed 3 paths (2.0 KiB)')
    expect(text).toContain('- ⚠️ w1')
    expect(formatCoverage(0.9995)).toBe('99.9%')
  })
})

describe('retry policy', () => {
  const policy = { baseDelayMs: 1000, maxDelayMs: 15000, budgetMs: 90000, maxRetryAfterMs: 120000 }
  it('full jitter within [2^n/2, 2^n] s, capped at 15 s', () => {
    expect(nextDelay(policy, 0, 0, undefined, () => 0)).toBe(500)
    expect(nextDelay(policy, 3, 0, undefined, () => 1)).toBe(8000)
    expect(nextDelay(policy, 10, 0, undefined, () => 1)).toBe(15000)
  })
  it('honours Retry-After up to 120 s and stops when the budget would be passed', () => {
    expect(nextDelay(policy, 0, 0, 30000, () => 0.5)).toBe(30000)
    expect(nextDelay(policy, 0, 0, 500000, () => 0.5)).toBe(undefined)
    expect(nextDelay({ ...policy, budgetMs: 200000 }, 0, 0, 500000, () => 0.5)).toBe(120000)
    expect(nextDelay(policy, 5, 89000, undefined, () => 0)).toBeUndefined()
  })
  it('reads Retry-After in seconds or as a date', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000)
    expect(parseRetryAfter(new Date(60000).toUTCString(), 0)).toBe(60000)
    expect(parseRetryAfter('soon', 0)).toBeUndefined()
  })
})

describe('installer', () => {
  it('is multi-user with systemd and single-user without', () => {
    expect(installerArgs('/tmp/x.conf', true, 4)).toEqual([
      '--yes',
      '--no-channel-add',
      '--nix-extra-conf-file',
      '/tmp/x.conf',
      '--daemon',
      '--daemon-user-count',
      '8'
    ])
    expect(installerArgs('/tmp/x.conf', false, 4)).toContain('--no-daemon')
  })
})
