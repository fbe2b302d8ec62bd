import { mkdtemp, stat, writeFile } from 'node:fs/promises'
import { availableParallelism, homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Log } from '../util/log.js'
import { installsMultiUser, runnerPlatform } from '../util/platform.js'
import { runCommand } from '../util/process.js'
import { NIX_FLAKES_CONF } from './command.js'
import { exists } from '../util/fs.js'

/** Where the multi-user installer links nix: the default profile, for every user. */
export const MULTI_USER_PROFILE_BIN = '/nix/var/nix/profiles/default/bin'

export async function installedNixVersion(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  try {
    const { stdout } = await runCommand('nix', ['--version'], { env })
    return stdout.trim().replace(/^nix \(Nix\) /, '')
  } catch {
    return undefined
  }
}

function installerUrl(version: string): string {
  return `https://releases.nixos.org/nix/nix-${version}/install`
}

/** Arguments for the official installer: multi-user with a daemon (systemd, or launchd on macOS), single-user without. */
export function installerArgs(extraConfFile: string, hasSystemd: boolean, cpus: number): string[] {
  const args = ['--yes', '--no-channel-add', '--nix-extra-conf-file', extraConfFile]
  if (hasSystemd) args.push('--daemon', '--daemon-user-count', String(Math.max(4, cpus * 2)))
  else args.push('--no-daemon')
  return args
}

/** The directory holding `nix` after an install: the default profile, or the installing user's own. */
export function nixProfileBin(multiUser: boolean, home: string): string {
  return multiUser ? MULTI_USER_PROFILE_BIN : join(home, '.nix-profile', 'bin')
}

export interface InstallOptions {
  /** The environment of the installer and of curl (without the action's secrets). */
  env: NodeJS.ProcessEnv
  /** Multi-user needs systemd (or macOS's launchd) for the daemon; detected when not given. */
  multiUser?: boolean
  /** Where to fetch the installer from (default: releases.nixos.org for the version). */
  installer?: string
}

async function hasSystemd(): Promise<boolean> {
  return stat('/run/systemd/system').then(
    info => info.isDirectory(),
    () => false
  )
}

/**
 * Downloads and runs the official installer for a pinned version, retrying the download, and
 * returns the directory that now holds `nix`, for PATH. `extraConf` is written before the
 * daemon first starts, so no restart is needed.
 */
export async function installNix(
  version: string,
  extraConf: string,
  cpus: number,
  log: (line: string) => void,
  options: InstallOptions
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nix-install-'))
  const script = join(dir, 'install')
  const confFile = join(dir, 'extra.conf')
  await writeFile(confFile, extraConf)
  await runCommand(
    'curl',
    [
      '-fsSL',
      '--retry',
      '5',
      '--retry-all-errors',
      '--retry-delay',
      '2',
      '-o',
      script,
      options.installer ?? installerUrl(version)
    ],
    { env: options.env }
  )
  const multiUser = options.multiUser ?? installsMultiUser(runnerPlatform(), await hasSystemd())
  log(`running the Nix ${version} installer (${multiUser ? 'multi-user' : 'single-user'})`)
  await runCommand('sh', [script, ...installerArgs(confFile, multiUser, cpus)], {
    env: { ...options.env, NIX_INSTALLER_NO_MODIFY_PROFILE: '1' }
  })
  // The single-user installer links nix into the user's own profile, not the default one.
  const bin = nixProfileBin(multiUser, options.env.HOME ?? homedir())
  if (!(await exists(join(bin, 'nix'))))
    throw new Error(
      `the Nix ${version} installer finished but left no nix in ${bin}: install Nix before this step and set install-nix to false`
    )
  return bin
}

export interface NixReady {
  version: string
  /** Where the Nix this step installed lives, for the job's PATH; undefined when one was there already. */
  installedBin?: string
}

/**
 * The Nix on PATH, or a fresh multi-user install of `version` when there is none and
 * installing is allowed. The new bin directory is put first on `env.PATH`.
 */
export async function ensureNix(
  version: string,
  mayInstall: boolean,
  env: NodeJS.ProcessEnv,
  log: Log
): Promise<NixReady> {
  const present = await installedNixVersion(env)
  if (present !== undefined) {
    log.info(`Using the Nix already installed: ${present}`)
    return { version: present }
  }
  if (!mayInstall)
    throw new Error('Nix is not installed and install-nix is false: install Nix first or set install-nix to auto')
  const bin = await installNix(version, `${NIX_FLAKES_CONF}\n`, availableParallelism(), line => log.info(line), { env })
  env.PATH = `${bin}:${env.PATH ?? ''}`
  const installed = (await installedNixVersion(env)) ?? version
  log.info(`Installed Nix ${installed}`)
  return { version: installed, installedBin: bin }
}
