import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../util/process.js'

export const NIX_PROFILE_BIN = '/nix/var/nix/profiles/default/bin'

export async function installedNixVersion(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  try {
    const { stdout } = await run('nix', ['--version'], { env })
    return stdout.trim().replace(/^nix \(Nix\) /, '')
  } catch {
    return undefined
  }
}

export function installerUrl(version: string): string {
  return `https://releases.nixos.org/nix/nix-${version}/install`
}

/** Arguments for the official installer: multi-user with systemd, single-user without. */
export function installerArgs(extraConfFile: string, hasSystemd: boolean, cpus: number): string[] {
  const args = ['--yes', '--no-channel-add', '--nix-extra-conf-file', extraConfFile]
  if (hasSystemd) args.push('--daemon', '--daemon-user-count', String(Math.max(4, cpus * 2)))
  else args.push('--no-daemon')
  return args
}

/**
 * Downloads and runs the official installer for a pinned version, retrying the download.
 * `extraConf` is written before the daemon first starts, so no restart is needed.
 */
export async function installNix(version: string, extraConf: string, cpus: number, log: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nix-install-'))
  const script = join(dir, 'install')
  const confFile = join(dir, 'extra.conf')
  await writeFile(confFile, extraConf)
  await run('curl', ['-fsSL', '--retry', '5', '--retry-all-errors', '--retry-delay', '2', '-o', script, installerUrl(version)])
  const hasSystemd = await run('test', ['-d', '/run/systemd/system']).then(
    () => true,
    () => false
  )
  log(`running the Nix ${version} installer (${hasSystemd ? 'multi-user' : 'single-user'})`)
  await run('sh', [script, ...installerArgs(confFile, hasSystemd, cpus)], { env: { ...process.env, NIX_INSTALLER_NO_MODIFY_PROFILE: '1' } })
}
