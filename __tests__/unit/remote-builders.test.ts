import { describe, expect, it } from '@jest/globals'
import { parseInputs } from '../../src/action/inputs.js'
import { renderSummary } from '../../src/report/summary.js'
import { sshPrivateKey } from '../../src/inputs/ssh-key.js'
import { builderFailure } from '../../src/nix/builder-failure.js'
import { remoteBuilding } from '../../src/nix/build-log.js'
import { renderManagedBlock } from '../../src/nix/conf/render.js'
import {
  buildersSetting,
  builderStoreUri,
  builderSystems,
  checkHostKeys,
  nixTakesBuilderPort,
  parseBuilders,
  parseHostKeys,
  pinnedHostKey,
  renderSshAliases
} from '../../src/nix/remote-builders.js'
import { parsePlanInputs } from '../../src/plan/inputs.js'
import { planMatrix } from '../../src/plan/matrix.js'

/** An SSH wire-format string: uint32 length, then the bytes. */
function sshString(bytes: Buffer | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  return Buffer.concat([length, body])
}

/** A public key of `type` whose blob names that type, as real keys do (the key bytes are made up). */
function publicKey(type: string, seed: number): string {
  return Buffer.concat([sshString(type), sshString(Buffer.alloc(32, seed))]).toString('base64')
}

const ED = publicKey('ssh-ed25519', 1)
const ED2 = publicKey('ssh-ed25519', 2)
const RSA = publicKey('ssh-rsa', 3)
const field8 = (type: string, key: string): string => Buffer.from(`${type} ${key}`).toString('base64')

/** An OpenSSH-format private key file whose cipher is `cipher` (the rest of its body is filler). */
function opensshKey(cipher: string): string {
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString(cipher),
    sshString('none'),
    Buffer.alloc(40, 7)
  ])
  const lines = body.toString('base64').match(/.{1,70}/g) ?? []
  return ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----'].join('\n')
}

describe('builders: one machine per line, checked', () => {
  it.each([
    ['a bare ssh-ng builder', 'ssh-ng://root@build.example', 'ssh-ng://root@build.example - - - - - - -'],
    [
      'every field',
      `ssh-ng://nix@arm.example aarch64-linux,armv7l-linux /etc/k 4 2 big-parallel,kvm benchmark ${field8('ssh-ed25519', ED)}`,
      `ssh-ng://nix@arm.example aarch64-linux,armv7l-linux /etc/k 4 2 big-parallel,kvm benchmark ${field8('ssh-ed25519', ED)}`
    ],
    [
      'ssh:// and "-" fields',
      'ssh://eu.nixbuild.net x86_64-linux - 100 1',
      'ssh://eu.nixbuild.net x86_64-linux - 100 1 - - -'
    ],
    [
      'a port and URI parameters',
      'ssh-ng://me@10.0.0.5:2222?compress=true x86_64-linux',
      'ssh-ng://me@10.0.0.5:2222?compress=true x86_64-linux - - - - - -'
    ],
    ['an IPv6 host', 'ssh-ng://root@[fd00::5]:22 x86_64-linux', 'ssh-ng://root@[fd00::5]:22 x86_64-linux - - - - - -'],
    ['tabs between fields', 'ssh-ng://a\tx86_64-linux\t-\t2', 'ssh-ng://a x86_64-linux - 2 - - - -']
  ])('%s', (_why, line, rendered) => {
    expect(buildersSetting(parseBuilders(line), { hostKeys: [], portInUri: true })).toBe(rendered)
  })

  it('one per line, several on a line with ";", comments and blank lines skipped; rendered as one nix.conf line', () => {
    const builders = parseBuilders(
      '# fleet\nssh-ng://a x86_64-linux\r\n\n  ssh-ng://b aarch64-linux ; ssh-ng://c  # spare\n'
    )
    expect(builders.map(b => [b.line, b.uri.host])).toEqual([
      [2, 'a'],
      [4, 'b'],
      [4, 'c']
    ])
    expect(buildersSetting(builders, { hostKeys: [], portInUri: true })).toBe(
      'ssh-ng://a x86_64-linux - - - - - - ; ssh-ng://b aarch64-linux - - - - - - ; ssh-ng://c - - - - - - -'
    )
  })

  it.each([
    [
      'no scheme',
      'root@arm.example aarch64-linux',
      /line 1 \(root@arm\.example aarch64-linux\): "root@arm\.example" has no scheme: write ssh-ng:\/\/root@arm\.example/
    ],
    ['another scheme', 'https://arm.example', /a builder is reached with ssh:\/\/ or ssh-ng:\/\/, not https:\/\//],
    ['a machines file', '@/etc/nix/machines', /refers to a machines file; list the builders in this input instead/],
    ['nine fields', 'ssh-ng://a - - - - - - - x', /has 9 fields; a builder has at most 8: URI systems ssh-key/],
    ['a bad system', 'ssh-ng://a aarch64', /"aarch64" is not a Nix system such as aarch64-linux/],
    [
      'a relative key file',
      'ssh-ng://a x86_64-linux id_ed25519',
      /the ssh key file \(field 3\) "id_ed25519" is not an absolute path/
    ],
    ['max-jobs 0', 'ssh-ng://a x86_64-linux - 0', /max-jobs \(field 4\) "0" is not a positive whole number/],
    [
      'a fractional speed factor',
      'ssh-ng://a x86_64-linux - 1 1.5',
      /the speed factor \(field 5\) "1\.5" is not a positive whole number/
    ],
    ['a bad feature', 'ssh-ng://a x86_64-linux - 1 1 big/parallel', /"big\/parallel" is not a system feature/],
    [
      'a host key that is not base64 of a key',
      'ssh-ng://a x86_64-linux - 1 1 - - c3NoLWVkMjU1MTk=',
      /field 8 is not the base64 of a public host key/
    ],
    [
      'a raw key in field 8',
      `ssh-ng://a x86_64-linux - 1 1 - - ${ED}`,
      /field 8 is not the base64 of a public host key/
    ],
    ['the key in the URI', 'ssh-ng://a?ssh-key=/k', /give ssh-key as field 3 \(or builder-ssh-key\), not in the URI/],
    [
      'the host key in the URI',
      'ssh-ng://a?base64-ssh-public-host-key=x',
      /give base64-ssh-public-host-key as field 8/
    ],
    ['a host that looks like an option', 'ssh-ng://-oProxyJump.example', /cannot start with "-"/],
    ['a port out of range', 'ssh-ng://a:70000', /port 70000 is not between 1 and 65535/],
    ['a path after the host', 'ssh-ng://a/b', /"a\/b" is not user@host or user@host:port/],
    [
      'a setting smuggled in on the next line',
      'ssh-ng://a\npost-build-hook = /tmp/evil',
      /line 2 \(post-build-hook = \/tmp\/evil\): "post-build-hook" has no scheme/
    ],
    ['a carriage return alone', 'ssh-ng://a\rpost-build-hook = /tmp/evil', /line 2 .*"post-build-hook" has no scheme/]
  ])('refuses %s', (_why, text, message) => {
    expect(() => parseBuilders(text)).toThrow(message)
  })
})

describe('host keys: pinned per builder, in field 8', () => {
  const builders = parseBuilders('ssh-ng://root@arm.example aarch64-linux\nssh-ng://root@10.0.0.5:2222 x86_64-linux')
  it('takes the known_hosts line of the builder (by host, or [host]:port for another port), preferring ed25519', () => {
    const keys = parseHostKeys(
      `arm.example ssh-rsa ${RSA}\narm.example,192.0.2.1 ssh-ed25519 ${ED} comment\n[10.0.0.5]:2222 ssh-ed25519 ${ED2}\n`
    )
    expect(pinnedHostKey(builders[0], keys)).toBe(field8('ssh-ed25519', ED))
    expect(pinnedHostKey(builders[1], keys)).toBe(field8('ssh-ed25519', ED2))
    expect(() => checkHostKeys(builders, keys)).not.toThrow()
    expect(buildersSetting(builders, { hostKeys: keys, portInUri: true, identityFile: '/run/k/id' })).toBe(
      `ssh-ng://root@arm.example aarch64-linux /run/k/id - - - - ${field8('ssh-ed25519', ED)} ; ssh-ng://root@10.0.0.5:2222 x86_64-linux /run/k/id - - - - ${field8('ssh-ed25519', ED2)}`
    )
  })

  it('field 8 wins over a line; a bare host matches a builder on another port (ssh falls back to it)', () => {
    const [own] = parseBuilders(`ssh-ng://arm.example - - - - - - ${field8('ssh-rsa', RSA)}`)
    expect(pinnedHostKey(own, parseHostKeys(`arm.example ssh-ed25519 ${ED}`))).toBe(field8('ssh-rsa', RSA))
    expect(pinnedHostKey(builders[1], parseHostKeys(`10.0.0.5 ssh-ed25519 ${ED}`))).toBe(field8('ssh-ed25519', ED))
  })

  it.each([
    [
      'a builder without one',
      `arm.example ssh-ed25519 ${ED}`,
      /no host key is pinned for ssh-ng:\/\/root@10\.0\.0\.5:2222 \(line 2 of builders\): add its line from "ssh-keyscan -p 2222 10\.0\.0\.5"/
    ],
    [
      'a line for no builder',
      `arm.example ssh-ed25519 ${ED}\n[10.0.0.5]:2222 ssh-ed25519 ${ED}\narn.example ssh-ed25519 ${ED}`,
      /line 3 \(arn\.example\) is the host key of none of the builders/
    ],
    [
      'the wrong port',
      `arm.example ssh-ed25519 ${ED}\n[10.0.0.5]:22 ssh-ed25519 ${ED}`,
      /no host key is pinned for ssh-ng:\/\/root@10\.0\.0\.5:2222/
    ]
  ])('refuses %s', (_why, text, message) => {
    expect(() => checkHostKeys(builders, parseHostKeys(text))).toThrow(message)
  })

  it.each([
    [
      'a hashed host',
      `|1|abc=|def= ssh-ed25519 ${ED}`,
      /a hashed host name cannot be matched to a builder: run ssh-keyscan without -H/
    ],
    ['a type that is not the blob', `arm.example ssh-rsa ${ED}`, /line 1 is not "host type key"/],
    ['a key alone', `ssh-ed25519 ${ED}`, /line 1 is not "host type key"/],
    ['a marker', `@cert-authority *.example ssh-ed25519 ${ED}`, /markers such as @cert-authority are not supported/]
  ])('refuses %s', (_why, text, message) => {
    expect(() => parseHostKeys(text)).toThrow(message)
  })
})

describe('ports, systems and the connection check', () => {
  it('Nix 2.31 and later take the port in the URI; before, ssh gets an alias that ssh_config maps to the address and port', () => {
    expect([
      nixTakesBuilderPort('2.8.0'),
      nixTakesBuilderPort('2.30.2'),
      nixTakesBuilderPort('2.31.0'),
      nixTakesBuilderPort('2.35.1')
    ]).toEqual([false, false, true, true])
    const builders = parseBuilders(
      'ssh-ng://root@127.0.0.1:2222 x86_64-linux\nssh-ng://b.example\nssh-ng://root@[fd00::5]:22'
    )
    const keys = parseHostKeys(`[127.0.0.1]:2222 ssh-ed25519 ${ED}`)
    expect(buildersSetting(builders.slice(0, 2), { hostKeys: keys, portInUri: false })).toBe(
      `ssh-ng://root@127.0.0.1-port-2222 x86_64-linux - - - - - ${field8('ssh-ed25519', ED)} ; ssh-ng://b.example - - - - - - -`
    )
    // The alias is also the name ssh looks the pinned key up by, where Nix writes it (HostKeyAlias).
    expect(renderSshAliases(builders)).toBe(
      [
        '# Written by nix-cachix-build for its remote builders; its post step removes it.',
        'Host 127.0.0.1-port-2222',
        '  HostName 127.0.0.1',
        '  Port 2222',
        '  HostKeyAlias 127.0.0.1-port-2222',
        'Host fd00--5-port-22',
        '  HostName fd00::5',
        '  Port 22',
        '  HostKeyAlias fd00--5-port-22',
        ''
      ].join('\n')
    )
    expect(renderSshAliases(parseBuilders('ssh-ng://b.example'))).toBeUndefined()
  })

  it('the connection check opens the builder with the same key and pinned host key as a build', () => {
    const [builder] = parseBuilders('ssh-ng://root@127.0.0.1:2222?remote-program=/run/nix-daemon x86_64-linux')
    const keys = parseHostKeys(`[127.0.0.1]:2222 ssh-ed25519 ${ED}`)
    expect(builderStoreUri(builder, { hostKeys: keys, portInUri: true, identityFile: '/k/id' })).toBe(
      `ssh-ng://root@127.0.0.1:2222?remote-program=/run/nix-daemon&ssh-key=/k/id&base64-ssh-public-host-key=${field8('ssh-ed25519', ED)}`
    )
  })

  it('the systems the builders build: field 2, or the local system for "-"', () => {
    expect(
      builderSystems(
        parseBuilders('ssh-ng://a aarch64-linux\nssh-ng://b\nssh-ng://c aarch64-linux,x86_64-linux'),
        'x86_64-linux'
      )
    ).toEqual(['aarch64-linux', 'x86_64-linux'])
  })

  const [builder] = parseBuilders('ssh-ng://root@127.0.0.1:2222')
  it.each([
    [
      'Host key verification failed.',
      'its host key is not the one pinned for it (builder-host-keys or field 8) (Host key verification failed.)'
    ],
    [
      'root@127.0.0.1: Permission denied (publickey).',
      "it refused the ssh key (builder-ssh-key or field 3): is the key's public half in the builder user's authorized_keys? (root@127.0.0.1: Permission denied (publickey).)"
    ],
    [
      'ssh: connect to host 127.0.0.1 port 2222: Connection refused',
      'it cannot be reached (ssh: connect to host 127.0.0.1 port 2222: Connection refused)'
    ],
    [
      'ssh: Could not resolve hostname arm.example: Name or service not known',
      'it cannot be reached (ssh: Could not resolve hostname arm.example: Name or service not known)'
    ],
    [
      'sh: 1: exec: nix-daemon: not found',
      "ssh works, but the builder has no nix-daemon (nix-store for ssh://) on a non-interactive shell's PATH (sh: 1: exec: nix-daemon: not found)"
    ],
    ['error: protocol mismatch', 'it does not answer as a Nix store (error: protocol mismatch)']
  ])('%j is one line naming the builder and the cause', (ssh, cause) => {
    const output = `warning: 'ping' is a deprecated alias for 'info'\nStore URL: ssh-ng://root@127.0.0.1:2222?ssh-key=/k\n${ssh}\nerror: failed to start SSH connection to '127.0.0.1'\n`
    expect(builderFailure(builder, output)).toBe(`builder ssh-ng://root@127.0.0.1:2222: ${cause}`)
  })
})

describe('builder-ssh-key', () => {
  it('takes an unencrypted key whole, with Unix line ends and a final newline', () => {
    const key = opensshKey('none')
    expect(sshPrivateKey('builder-ssh-key', `${key.replace(/\n/g, '\r\n')}\r\n\r\n`)).toBe(`${key}\n`)
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----'
    expect(sshPrivateKey('builder-ssh-key', pem)).toBe(`${pem}\n`)
    expect(sshPrivateKey('builder-ssh-key', '  ')).toBeUndefined()
  })

  it.each([
    [
      'a passphrase (OpenSSH format)',
      opensshKey('aes256-ctr'),
      /is protected by a passphrase, which the nix-daemon cannot type/
    ],
    [
      'a passphrase (PEM)',
      '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: x\n\nabc\n-----END RSA PRIVATE KEY-----',
      /is protected by a passphrase/
    ],
    [
      'PKCS#8, encrypted',
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nabc\n-----END ENCRYPTED PRIVATE KEY-----',
      /is protected by a passphrase/
    ],
    ['a public key', `ssh-ed25519 ${ED} me@laptop`, /is a public key: give the private key file/],
    ['escaped line breaks', opensshKey('none').replace(/\n/g, '\\n'), /has "\\n" where its line breaks should be/],
    ['half a key', opensshKey('none').split('\n').slice(0, 2).join('\n'), /is not a private key file: paste it whole/],
    [
      'a damaged OpenSSH body',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----',
      /is damaged/
    ]
  ])('refuses %s, without quoting it', (_why, text, message) => {
    let error: unknown
    try {
      sshPrivateKey('builder-ssh-key', text)
    } catch (caught: unknown) {
      error = caught
    }
    expect(String(error)).toMatch(message)
    expect(String(error)).not.toContain(text.split('\n')[1] ?? text)
  })
})

describe('the inputs together', () => {
  const read = (values: Record<string, string>) => (name: string) => values[name] ?? ''
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

  it('nix.conf gets the builders on one line and builders-use-substitutes as asked', () => {
    const block = renderManagedBlock({
      substituters: [],
      trustedPublicKeys: [],
      extraPlatforms: [],
      trustedUsers: [],
      extraConfig: '',
      maxJobs: '0',
      builders: 'ssh-ng://a - - - - - - - ; ssh-ng://b - - - - - - -',
      buildersUseSubstitutes: false
    })
    expect(block).toContain(
      '\nmax-jobs = 0\nbuilders = ssh-ng://a - - - - - - - ; ssh-ng://b - - - - - - -\nbuilders-use-substitutes = false\n'
    )
  })

  it('the planner sends the rows of builder-systems to the x86 runner', () => {
    const plan = parsePlanInputs(read({ 'x86_64-runner': 'ubuntu-24.04', 'builder-systems': 'aarch64-linux' }))
    expect(plan.runners['aarch64-linux']).toBe('ubuntu-24.04')
    expect(plan.runners['aarch64-darwin']).toBe('macos-15')
    const rows = planMatrix(
      [
        { name: 'pi', system: 'aarch64-linux', outPath: '/nix/store/a' },
        { name: 'web', system: 'x86_64-linux', outPath: '/nix/store/b' }
      ],
      new Set(),
      plan.runners
    ).rows
    expect(rows.map(r => [r.host, r.system, r.runner])).toEqual([
      ['pi', 'aarch64-linux', 'ubuntu-24.04'],
      ['web', 'x86_64-linux', 'ubuntu-24.04']
    ])
    expect(parsePlanInputs(read({})).runners['aarch64-linux']).toBe('ubuntu-24.04-arm')
    expect(() => parsePlanInputs(read({ 'builder-systems': 'arm64' }))).toThrow(
      /^input builder-systems: "arm64" is not one of/
    )
  })
})

describe('what remote builders built is counted', () => {
  it.each([
    [
      "building '/nix/store/abc-x.drv' on 'ssh-ng://root@127.0.0.1:2222'...",
      { drvPath: '/nix/store/abc-x.drv', builder: 'ssh-ng://root@127.0.0.1:2222' }
    ],
    ["building '/nix/store/abc-x.drv'...", undefined],
    ["copying path '/nix/store/abc-x' from 'ssh-ng://root@127.0.0.1'...", undefined]
  ])('%s', (line, handed) => {
    expect(remoteBuilding(line)).toEqual(handed)
  })

  it('the summary says how many of the builds each builder did', () => {
    const totals = {
      built: 4,
      substituted: 0,
      pushed: 4,
      pushedBytes: 10,
      failedPushes: 0,
      leftovers: 0,
      builtRemotely: { 'ssh-ng://root@b': 4 }
    }
    expect(renderSummary('t', [], totals, [])).toContain(
      'Built 4 derivations, 4 of them on remote builders (ssh-ng://root@b: 4) (the dry run'
    )
    expect(renderSummary('t', [], { ...totals, builtRemotely: {} }, [])).toContain('Built 4 derivations (the dry run')
  })
})
