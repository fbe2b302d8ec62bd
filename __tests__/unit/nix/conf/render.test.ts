import { describe, expect, it } from '@jest/globals'
import {
  BLOCK_BEGIN,
  BLOCK_END,
  existingPostBuildHook,
  renderManagedBlock,
  renderNetrc,
  replaceManagedBlock
} from '../../../../src/nix/conf/render.js'

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

describe('the inputs together', () => {
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
})
