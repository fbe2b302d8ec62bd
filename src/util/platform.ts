/**
 * What differs between a Linux and a macOS runner: how Nix is installed, how its daemon is
 * restarted, whether QEMU applies. Pure, so the macOS choices are tested where there is no Mac.
 */

export type RunnerPlatform = 'linux' | 'darwin'

export type NixSystem = 'x86_64-linux' | 'aarch64-linux' | 'aarch64-darwin' | 'x86_64-darwin'
export const SYSTEMS: NixSystem[] = ['x86_64-linux', 'aarch64-linux', 'aarch64-darwin', 'x86_64-darwin']

/** The Nix system this machine runs natively, from Node's architecture and platform. */
export function nativeSystem(arch: string = process.arch, platform: string = process.platform): NixSystem | undefined {
  const os = platform === 'darwin' ? 'darwin' : platform === 'linux' ? 'linux' : undefined
  if (os === undefined) return undefined
  if (arch === 'x64') return `x86_64-${os}` as const
  if (arch === 'arm64') return `aarch64-${os}` as const
  return undefined
}

/** macOS by Node's platform, or by the runner's own RUNNER_OS when that says so. */
export function runnerPlatform(
  platform: string = process.platform,
  runnerOs: string | undefined = process.env.RUNNER_OS
): RunnerPlatform {
  return platform === 'darwin' || runnerOs === 'macOS' ? 'darwin' : 'linux'
}

export interface Command {
  command: string
  args: string[]
}

export interface DaemonControl {
  /** Exits 0 when the daemon is managed here (and so may be restarted). */
  probe: Command
  /** launchctl print of the system domain may need root; systemctl is-active does not. */
  probeAsRoot: boolean
  /** Run as root. */
  restart: Command
}

// The official installer's launchd job on macOS, and its systemd unit on Linux.
const LAUNCHD_DAEMON = 'system/org.nixos.nix-daemon'

/** How nix-daemon is found and restarted so it reads a new nix.conf. */
export function daemonControl(platform: RunnerPlatform): DaemonControl {
  if (platform === 'darwin')
    return {
      probe: { command: 'launchctl', args: ['print', LAUNCHD_DAEMON] },
      probeAsRoot: true,
      restart: { command: 'launchctl', args: ['kickstart', '-k', LAUNCHD_DAEMON] }
    }
  return {
    probe: { command: 'systemctl', args: ['is-active', '--quiet', 'nix-daemon.service'] },
    probeAsRoot: false,
    restart: { command: 'systemctl', args: ['restart', 'nix-daemon.service'] }
  }
}

/**
 * Multi-user (a daemon) wherever something can run the daemon: systemd on Linux, and always on
 * macOS, whose only supported install is multi-user under launchd.
 */
export function installsMultiUser(platform: RunnerPlatform, hasSystemd: boolean): boolean {
  return platform === 'darwin' || hasSystemd
}

/** QEMU user emulation is binfmt_misc, which only Linux has. */
export function qemuUnavailable(platform: RunnerPlatform): string | undefined {
  return platform === 'darwin'
    ? 'macOS runs no QEMU (binfmt_misc is Linux only); build Linux hosts on a Linux runner'
    : undefined
}
