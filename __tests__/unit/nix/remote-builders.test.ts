import { describe, expect, it } from '@jest/globals'
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
} from '../../../src/nix/remote-builders.js'
import { ED, publicKey } from '../../support/ssh-keys.js'

const ED2 = publicKey('ssh-ed25519', 2)

const RSA = publicKey('ssh-rsa', 3)

const field8 = (type: string, key: string): string => Buffer.from(`${type} ${key}`).toString('base64')

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
})
