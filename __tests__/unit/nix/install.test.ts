import { describe, expect, it } from '@jest/globals'
import { installerArgs, MULTI_USER_PROFILE_BIN, nixProfileBin } from '../../../src/nix/install.js'
import { installsMultiUser } from '../../../src/util/platform.js'

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

describe('the commands that differ on macOS', () => {
  it.each([
    ['darwin', false, true],
    ['darwin', true, true],
    ['linux', true, true],
    ['linux', false, false]
  ] as const)('%s with systemd %s installs multi-user: %s', (platform, systemd, multi) => {
    expect(installsMultiUser(platform, systemd)).toBe(multi)
    expect(installerArgs('/x.conf', installsMultiUser(platform, systemd), 3)).toEqual(
      multi
        ? ['--yes', '--no-channel-add', '--nix-extra-conf-file', '/x.conf', '--daemon', '--daemon-user-count', '6']
        : ['--yes', '--no-channel-add', '--nix-extra-conf-file', '/x.conf', '--no-daemon']
    )
  })
})

describe('where the installer puts nix', () => {
  it.each([
    ['multi-user (systemd)', true, MULTI_USER_PROFILE_BIN],
    ['single-user (no systemd)', false, '/home/runner/.nix-profile/bin']
  ])('%s', (_why, multiUser, bin) => {
    expect(nixProfileBin(multiUser, '/home/runner')).toBe(bin)
  })
})
