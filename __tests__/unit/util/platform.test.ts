import { describe, expect, it } from '@jest/globals'
import { daemonControl, qemuUnavailable, runnerPlatform, nativeSystem } from '../../../src/util/platform.js'

describe('which runner this is', () => {
  it.each([
    ['darwin', 'macOS', 'darwin'],
    ['darwin', undefined, 'darwin'],
    ['linux', 'macOS', 'darwin'],
    ['linux', 'Linux', 'linux'],
    ['linux', undefined, 'linux']
  ] as const)('platform %s, RUNNER_OS %s: %s', (platform, runnerOs, expected) => {
    expect(runnerPlatform(platform, runnerOs)).toBe(expected)
  })
})

describe('the commands that differ on macOS', () => {
  it.each([
    [
      'darwin',
      ['launchctl', 'print', 'system/org.nixos.nix-daemon'],
      true,
      ['launchctl', 'kickstart', '-k', 'system/org.nixos.nix-daemon']
    ],
    [
      'linux',
      ['systemctl', 'is-active', '--quiet', 'nix-daemon.service'],
      false,
      ['systemctl', 'restart', 'nix-daemon.service']
    ]
  ] as const)(
    '%s finds the daemon with %j (as root: %s) and restarts it as root with %j',
    (platform, probe, asRoot, restart) => {
      const control = daemonControl(platform)
      expect([control.probe.command, ...control.probe.args]).toEqual(probe)
      expect(control.probeAsRoot).toBe(asRoot)
      expect([control.restart.command, ...control.restart.args]).toEqual(restart)
    }
  )

  it('no QEMU on macOS, and why', () => {
    expect(qemuUnavailable('darwin')).toMatch(/^macOS runs no QEMU/)
    expect(qemuUnavailable('linux')).toBeUndefined()
  })

  it.each([
    ['arm64', 'darwin', 'aarch64-darwin'],
    ['x64', 'darwin', 'x86_64-darwin'],
    ['arm64', 'linux', 'aarch64-linux'],
    ['ia32', 'linux', undefined],
    ['x64', 'freebsd', undefined]
  ])('native system of %s %s is %s', (arch, platform, system) => {
    expect(nativeSystem(arch, platform)).toBe(system)
  })
})
