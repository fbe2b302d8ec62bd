import { describe, expect, it } from '@jest/globals'
import { parseInputs } from '../../../src/action/inputs.js'
import { read } from '../../support/inputs.js'
import { ED, opensshKey } from '../../support/ssh-keys.js'

const extraArgs = (text: string): string[] => parseInputs(read({ 'extra-args': text }), 'x64').extraArgs

describe('inputs', () => {
  it("defaults: this runner's system, keep going, skip cached, use host substituters, push auto", () => {
    expect(parseInputs(read({}), 'x64')).toMatchObject({
      flake: '.',
      system: 'x86_64-linux',
      keepGoing: true,
      skipCached: true,
      useHostSubstituters: true,
      push: 'auto',
      drainTimeoutSeconds: 600,
      pushJobs: 8,
      checks: false
    })
    expect(parseInputs(read({}), 'arm64').system).toBe('aarch64-linux')
  })
  it('checks: true or false, nothing else', () => {
    expect(parseInputs(read({ checks: 'true' }), 'x64').checks).toBe(true)
    // One failing check must not hide the others.
    expect(parseInputs(read({ checks: 'true', 'keep-going': 'false' }), 'x64').keepGoing).toBe(true)
    expect(parseInputs(read({ 'keep-going': 'false' }), 'x64').keepGoing).toBe(false)
    expect(() => parseInputs(read({ checks: 'yes' }), 'x64')).toThrow('input checks: "yes" is not true or false')
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

describe('inputs that name hosts of every kind', () => {
  it('the action takes kind:name and home-manager names, and darwin systems', () => {
    expect(parseInputs(read({ hosts: 'desk home:alice@nas, darwin:mac', system: 'aarch64-darwin' })).hosts).toEqual([
      'desk',
      'home:alice@nas',
      'darwin:mac'
    ])
    expect(parseInputs(read({ system: 'x86_64-darwin' })).system).toBe('x86_64-darwin')
    expect(() => parseInputs(read({ hosts: 'mac:book' }))).toThrow(
      'input hosts: "mac:book" has the prefix mac:, which is none of nixos:, darwin:, home:'
    )
  })

  it.each([
    ['arm64', 'darwin', 'aarch64-darwin'],
    ['x64', 'darwin', 'x86_64-darwin'],
    ['x64', 'linux', 'x86_64-linux'],
    ['arm64', 'linux', 'aarch64-linux']
  ])('an empty system on %s %s is %s', (arch, platform, system) => {
    expect(parseInputs(read({}), arch, platform).system).toBe(system)
  })

  it('an unsupported runner says which systems there are', () => {
    expect(() => parseInputs(read({}), 'x64', 'win32')).toThrow(
      "input system: the runner's architecture x64 is not supported on win32: set system to one of x86_64-linux, aarch64-linux, aarch64-darwin, x86_64-darwin"
    )
  })
})

describe('diff-base', () => {
  it('the action refuses a diff without a cache, before anything runs', () => {
    expect(() => parseInputs(read({ 'diff-base': 'auto', system: 'x86_64-linux' }))).toThrow(
      'input diff-base: needs the cachix input'
    )
    expect(() => parseInputs(read({ 'diff-base': '{x', cachix: 'fleet', system: 'x86_64-linux' }))).toThrow(
      /^input diff-base: is not valid JSON/
    )
    expect(parseInputs(read({ 'diff-base': 'auto', cachix: 'fleet', system: 'x86_64-linux' }))).toMatchObject({
      diffBase: { kind: 'auto' },
      diffComment: true
    })
    expect(parseInputs(read({ system: 'x86_64-linux' }))).toMatchObject({ diffBase: { kind: 'off' } })
  })
})

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

describe('the inputs together', () => {
  const arm = `ssh-ng://root@arm.example aarch64-linux`
  const pin = `arm.example ssh-ed25519 ${ED}`
  const parse = (values: Record<string, string>) =>
    parseInputs(read({ builders: arm, 'builder-host-keys': pin, ...values }), 'x64')

  it('parses the builders, the key and builders-use-substitutes (default true)', () => {
    const inputs = parse({ 'builder-ssh-key': opensshKey('none'), 'max-jobs': '0', system: 'aarch64-linux' })
    expect(inputs.builders.map(b => b.uri.host)).toEqual(['arm.example'])
    expect(inputs.builderSshKey).toBe(`${opensshKey('none')}\n`)
    expect(inputs.buildersUseSubstitutes).toBe(true)
    expect(parse({ 'builders-use-substitutes': 'false' }).buildersUseSubstitutes).toBe(false)
  })

  it.each([
    [
      'max-jobs 0 without builders',
      { builders: '', 'builder-host-keys': '', 'max-jobs': '0' },
      /^input max-jobs: is 0 \(build only on remote builders\) but builders is empty$/
    ],
    [
      'max-jobs 0 with no builder for the leg',
      { 'max-jobs': '0' },
      /^input max-jobs: is 0 \(build only on remote builders\) but no builder builds x86_64-linux/
    ],
    [
      'a key and a key file',
      { builders: `${arm} /root/.ssh/id`, 'builder-ssh-key': opensshKey('none') },
      /^input builders: line 1 names its own ssh key file \(field 3\) while builder-ssh-key is set/
    ],
    [
      'a key without builders',
      { builders: '', 'builder-host-keys': '', 'builder-ssh-key': opensshKey('none') },
      /^input builder-ssh-key: is set but builders is empty/
    ],
    [
      'no pinned host key',
      { 'builder-host-keys': '' },
      /^input builder-host-keys: no host key is pinned for ssh-ng:\/\/root@arm\.example/
    ],
    [
      'a builder line that is not one',
      { builders: 'arm.example' },
      /^input builders: line 1 \(arm\.example\): "arm\.example" has no scheme/
    ]
  ])('refuses %s', (_why, values, message) => {
    expect(() => parse(values)).toThrow(message)
  })
})
