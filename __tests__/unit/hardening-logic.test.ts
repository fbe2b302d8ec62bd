import { afterEach, describe, expect, it } from '@jest/globals'
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HookLiveness } from '../../src/nix-build/hook-liveness.js'
import { parseInputs } from '../../src/action/inputs.js'
import { renderManagedBlock } from '../../src/nix/conf/render.js'
import { startBuild } from '../../src/nix-build/nix-build.js'
import { childEnv, forgetSecretEnv, runCommand } from '../../src/util/process.js'

const read = (values: Record<string, string>) => (name: string) => values[name] ?? ''
const extraArgs = (text: string): string[] => parseInputs(read({ 'extra-args': text }), 'x64').extraArgs

describe('extra-args is split per word, like a shell', () => {
  it.each([
    [`'a"b'`, ['a"b']],
    [`a"b c"`, ['ab c']],
    [`--option x "y z"`, ['--option', 'x', 'y z']],
    [
      `--option max-silent-time 60 --arg x "a b" 'c d'`,
      ['--option', 'max-silent-time', '60', '--arg', 'x', 'a b', 'c d']
    ],
    [`"it's"`, [`it's`]],
    [`'say "hi"' next`, ['say "hi"', 'next']],
    [`a\\ b`, ['a b']],
    [`"a\\"b"`, ['a"b']],
    [`"back\\\\slash"`, ['back\\slash']],
    [`"keep\\n"`, ['keep\\n']],
    [`'no\\escape'`, ['no\\escape']],
    [`a''b""c`, ['abc']],
    [`"" x`, ['', 'x']],
    [`  spaced \t out  `, ['spaced', 'out']],
    [`--expr '$HOME/*'`, ['--expr', '$HOME/*']],
    ['', []]
  ])('%s → %j', (text, words) => {
    expect(extraArgs(text)).toEqual(words)
  })

  it.each([
    [`--option "x y`, /input extra-args: has an unclosed quote/],
    [`'a`, /input extra-args: has an unclosed quote/],
    [`a"b'c`, /input extra-args: has an unclosed quote/],
    [`"a\\"`, /input extra-args: has an unclosed quote/],
    [`trailing\\`, /input extra-args: ends with a backslash that escapes nothing/],
    ['a\nb', /input extra-args: must be on one line/],
    ['--option post-build-hook /tmp/mine', /input extra-args: sets post-build-hook, which this action owns/],
    ['--post-build-hook /tmp/mine', /input extra-args: sets post-build-hook, which this action owns/]
  ])('%j is refused: %s', (text, message) => {
    expect(() => extraArgs(text)).toThrow(message)
  })
})

describe('inputs that reach nix.conf, secrets.conf or netrc refuse line breaks and control characters', () => {
  const base = { cachix: 'fleet', 'cachix-auth-token': 'tok' }
  it.each([
    // One builder per line: a second line is read as a builder, never as a setting.
    [
      'builders with a setting on a second line',
      { builders: 'ssh://a x86_64-linux\npost-build-hook = /tmp/evil' },
      /^input builders: line 2 \(post-build-hook = \/tmp\/evil\): "post-build-hook" has no scheme/
    ],
    [
      'builders with a carriage return',
      { builders: 'ssh://a\rpost-build-hook = /tmp/evil' },
      /^input builders: line 2 \(post-build-hook = \/tmp\/evil\): "post-build-hook" has no scheme/
    ],
    [
      'builders with another control character',
      { builders: 'ssh://a\u0007 x86_64-linux' },
      /^input builders: contains a control character/
    ],
    [
      'github-token with a line break',
      { 'github-token': 'ghs_abc\npost-build-hook = /tmp/evil' },
      /^input github-token: contains white space or a control character: paste the secret alone/
    ],
    [
      'github-token with a space (a second access token)',
      { 'github-token': 'ghs_abc gitlab.com=x' },
      /^input github-token: contains white space/
    ],
    [
      'cachix-auth-token with an escape character',
      { 'cachix-auth-token': 'abc\u001bdef' },
      /^input cachix-auth-token: contains white space or a control character/
    ],
    [
      'cachix-signing-key with a line break',
      { 'cachix-signing-key': 'k:abc\ndef' },
      /^input cachix-signing-key: contains white space or a control character/
    ],
    [
      'max-jobs with a line break',
      { 'max-jobs': '4\npost-build-hook = /tmp/evil' },
      /^input max-jobs: contains a line break/
    ],
    ['cores with a line break', { cores: '2\nsandbox = false' }, /^input cores: contains a line break/],
    [
      'cachix-url with a line break',
      { 'cachix-url': 'https://cachix.org\nx' },
      /^input cachix-url: contains a line break/
    ],
    [
      'qemu-interpreter with a line break',
      { 'qemu-interpreter': '/usr/bin/qemu\n:x:M::' },
      /^input qemu-interpreter: contains a line break/
    ],
    [
      'qemu-interpreter with a colon',
      { 'qemu-interpreter': '/usr/bin/q:F' },
      /^input qemu-interpreter: "\/usr\/bin\/q:F" contains a colon/
    ],
    ['flake with a line break', { flake: '.\n#x' }, /^input flake: contains a line break/],
    [
      'extra-nix-config with an escape character',
      { 'extra-nix-config': 'keep-outputs = true\u001b[2K' },
      /^input extra-nix-config: contains a control character: type it as plain text$/
    ],
    [
      'extra-nix-config with a NUL-like control',
      { 'extra-nix-config': 'keep-outputs = true\u0001' },
      /^input extra-nix-config: contains a control character/
    ],
    [
      'extra-nix-config setting the hook on its second line',
      { 'extra-nix-config': 'keep-outputs = true\npost-build-hook = /tmp/evil' },
      /^input extra-nix-config: sets post-build-hook, which this action owns/
    ],
    ['hosts with a control character', { hosts: 'alpha\u0007' }, /^input hosts: contains a control character/]
  ])('%s', (_why, values, message) => {
    expect(() => parseInputs(read({ ...base, ...values }), 'x64')).toThrow(message)
  })

  it('the message never repeats the value', () => {
    expect(() => parseInputs(read({ ...base, 'github-token': 'ghs_secret\nx' }), 'x64')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('ghs_secret') })
    )
  })

  it('multi-line inputs keep their line breaks, tabs and CRLF', () => {
    const inputs = parseInputs(
      read({
        ...base,
        hosts: 'alpha\r\nbeta\tgamma',
        'extra-nix-config': 'keep-outputs = true\r\n# a comment\n\tkeep-derivations = true\n'
      }),
      'x64'
    )
    expect(inputs.hosts).toEqual(['alpha', 'beta', 'gamma'])
    expect(inputs.extraNixConfig).toContain('keep-derivations = true')
    const builders = parseInputs(
      read({
        ...base,
        builders: 'ssh://a x86_64-linux\r\nssh://b aarch64-linux',
        'builder-host-keys': `a,b ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519')]).toString('base64')}`
      }),
      'x64'
    ).builders
    expect(builders.map(b => [b.uri.host, b.systems])).toEqual([
      ['a', ['x86_64-linux']],
      ['b', ['aarch64-linux']]
    ])
  })
})

describe("hosts' nix.settings (from the flake) cannot add lines to nix.conf", () => {
  const block =
    (substituters: string[], trustedPublicKeys: string[] = []) =>
    () =>
      renderManagedBlock({ substituters, trustedPublicKeys, extraPlatforms: [], trustedUsers: [], extraConfig: '' })
  it.each([
    [
      'a substituter with a line break',
      block(['https://a.example\npost-build-hook = /tmp/evil']),
      /^extra-substituters: "https:\/\/a.example\\npost-build-hook = \/tmp\/evil" contains white space or a control character/
    ],
    [
      'a substituter with a blank',
      block(['https://a.example https://b.example']),
      /^extra-substituters: .* contains white space/
    ],
    [
      'a key with a carriage return',
      block([], ['a-1:abc=\rpost-build-hook = /tmp/evil']),
      /^extra-trusted-public-keys: .* contains white space or a control character/
    ]
  ])('%s is refused', (_why, render, message) => {
    expect(render).toThrow(message)
  })
  it('ordinary values render', () => {
    expect(block(['https://a.example'], ['a-1:abc='])()).toContain('extra-substituters = https://a.example\n')
  })
})

describe('the environment children get', () => {
  const saved = { ...process.env }
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
  })

  const SECRET_ENV = {
    'INPUT_CACHIX-AUTH-TOKEN': 'tok-1',
    'INPUT_CACHIX-SIGNING-KEY': 'key:abc',
    'INPUT_GITHUB-TOKEN': 'ghs_x',
    INPUT_BUILDERS: 'b',
    CACHIX_AUTH_TOKEN: 'tok-2',
    CACHIX_SIGNING_KEY: 'key:def',
    ACTIONS_RUNTIME_TOKEN: 'rt',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'idt'
  }

  it('has no input, Cachix credential or runner token, and keeps the rest', () => {
    const env = childEnv({
      ...SECRET_ENV,
      PATH: '/bin',
      HOME: '/home/runner',
      NIX_REMOTE: 'daemon',
      NIX_CONF_DIR: '/etc/nix',
      GITHUB_ACTIONS: 'true',
      ACTIONS_CACHE_URL: 'http://cache',
      RUNNER_TEMP: '/tmp/r'
    })
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/home/runner',
      NIX_REMOTE: 'daemon',
      NIX_CONF_DIR: '/etc/nix',
      GITHUB_ACTIONS: 'true',
      ACTIONS_CACHE_URL: 'http://cache',
      RUNNER_TEMP: '/tmp/r'
    })
  })

  it('runCommand() gives a child a clean environment even when it is handed process.env', async () => {
    Object.assign(process.env, SECRET_ENV)
    for (const options of [{}, { env: process.env }, { env: { ...process.env, EXTRA: 'kept' } }]) {
      const { stdout } = await runCommand('sh', ['-c', 'env'], options)
      const names = stdout.split('\n').map(line => line.split('=')[0])
      for (const name of Object.keys(SECRET_ENV)) expect(names).not.toContain(name)
      expect(names).toContain('PATH')
    }
  })

  it('once inputs are read, the process itself forgets them (for children spawned without an env)', () => {
    const env: NodeJS.ProcessEnv = { ...SECRET_ENV, PATH: '/bin' }
    forgetSecretEnv(env)
    // The runner's tokens stay: @actions/cache needs them in this process.
    expect(env).toEqual({ PATH: '/bin', ACTIONS_RUNTIME_TOKEN: 'rt', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'idt' })
  })
})

describe('hook liveness', () => {
  const drv = (name: string): string => `/nix/store/00000000000000000000000000000000-${name}.drv`
  function watch(finished: string[], graceMs = 1000): { hook: HookLiveness; clock: { now: number } } {
    const clock = { now: 0 }
    return {
      hook: new HookLiveness(
        async d => finished.includes(d),
        graceMs,
        () => clock.now
      ),
      clock
    }
  }

  it('a finished build whose spool line never comes makes the hook silent, after the grace time', async () => {
    const { hook, clock } = watch([drv('a')])
    hook.onLogLine(`building '${drv('a')}'...`)
    expect(await hook.check()).toBe(false)
    clock.now = 500
    expect(await hook.check()).toBe(false)
    clock.now = 1000
    expect(await hook.check()).toBe(true)
    expect(hook.verdict).toBe('silent')
    expect(await hook.check()).toBe(false)
  })

  it.each([
    ['nothing built', [], [], 0, 'unknown', []],
    ['builds still running', [`building '${drv('a')}'...`], [], 0, 'unknown', []],
    ['the hook wrote its line', [`building '${drv('a')}'...`], [drv('a')], 1, 'runs', []],
    [
      'built, spool empty',
      [`building '${drv('a')}'...`, 'a> log line', `building '${drv('b')}' on 'ssh://builder'...`],
      [drv('a'), drv('b')],
      0,
      'silent',
      [drv('a'), drv('b')]
    ],
    [
      'one built, one failed, spool empty',
      [`building '${drv('a')}'...`, `building '${drv('b')}'...`],
      [drv('b')],
      0,
      'silent',
      [drv('b')]
    ],
    [
      'only substituted (no building line)',
      ["copying path '/nix/store/x-y' from 'https://cache'..."],
      [],
      0,
      'unknown',
      []
    ]
  ] as const)('%s', async (_why, lines, finished, spooled, verdict, unhooked) => {
    const { hook } = watch([...finished])
    for (const line of lines) hook.onLogLine(line)
    hook.onSpooled(spooled)
    expect(await hook.builtWithoutHook()).toEqual(unhooked)
    expect(hook.verdict).toBe(verdict)
  })
})

describe('stopping nix build', () => {
  /** A `nix` that logs the signals it gets to `log`; it ignores SIGINT, and SIGTERM too when asked. */
  async function stubbornNix(ignoreTerm: boolean): Promise<{ env: NodeJS.ProcessEnv; log: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'stubborn-nix-'))
    const log = join(dir, 'signals')
    const script = [
      '#!/bin/sh',
      `trap 'echo INT >> ${log}' INT`,
      ignoreTerm ? `trap 'echo TERM >> ${log}' TERM` : `trap 'echo TERM >> ${log}; exit 143' TERM`,
      `echo started >> ${log}`,
      // A child that keeps the pipes open, as nix's builders do.
      'sleep 5 &',
      'while :; do sleep 0.1; done'
    ].join('\n')
    await writeFile(join(dir, 'nix'), `${script}\n`)
    await chmod(join(dir, 'nix'), 0o755)
    return { env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` }, log }
  }

  async function started(log: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if ((await readFile(log, 'utf8').catch(() => '')).includes('started')) return
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    throw new Error('the stub nix did not start')
  }

  it('a nix that ignores SIGINT gets SIGTERM after the grace time', async () => {
    const { env, log } = await stubbornNix(false)
    const build = startBuild(['build'], env, () => undefined)
    await started(log)
    const t0 = Date.now()
    build.stop(400)
    expect(await build.done).toBe(143)
    const elapsed = Date.now() - t0
    expect(elapsed).toBeGreaterThanOrEqual(400)
    // Its orphaned child holds the pipes: the build waits for them only a second.
    expect(elapsed).toBeLessThan(4000)
    expect((await readFile(log, 'utf8')).split('\n').filter(l => l !== '')).toEqual(['started', 'INT', 'TERM'])
  })

  it('one that ignores SIGTERM as well is killed, even while its children hold the pipes', async () => {
    const { env, log } = await stubbornNix(true)
    const build = startBuild(['build'], env, () => undefined)
    await started(log)
    const t0 = Date.now()
    build.stop(300)
    expect(await build.done).toBe(137)
    // Well before its orphaned `sleep 5` lets go of the pipes.
    expect(Date.now() - t0).toBeLessThan(3000)
    expect((await readFile(log, 'utf8')).split('\n').filter(l => l !== '')).toEqual(['started', 'INT', 'TERM'])
  })
})
