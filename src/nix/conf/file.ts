import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCommand } from '../../util/process.js'
import { replaceManagedBlock } from './render.js'
import { daemonControl, runnerPlatform } from '../../util/platform.js'
import { runAsRoot, writeSystemFile } from '../../util/privileged.js'
import { runNix } from '../command.js'

/** The global nix.conf: the one the daemon reads. NIX_CONF_DIR moves it (as Nix itself allows). */
export function nixConfPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.NIX_CONF_DIR ?? '/etc/nix', 'nix.conf')
}

/** Puts `block` into nix.conf in place of an earlier one, or takes it out when undefined. */
export async function writeManagedBlock(path: string, block: string | undefined): Promise<void> {
  const existing = await readFile(path, 'utf8').catch(() => '')
  const next = replaceManagedBlock(existing, block)
  if (next !== existing) await writeSystemFile(path, next)
}

/** Restarts nix-daemon when systemd (or, on macOS, launchd) runs it, so it reads the new nix.conf. */
export async function restartDaemonIfRunning(): Promise<boolean> {
  const { probe, probeAsRoot, restart } = daemonControl(runnerPlatform())
  const active = await (
    probeAsRoot ? runAsRoot(probe.command, probe.args) : runCommand(probe.command, probe.args)
  ).then(
    () => true,
    () => false
  )
  if (!active) return false
  await runAsRoot(restart.command, restart.args)
  return true
}

/** `nix config show` (2.20+) or `nix show-config` (older), as text. */
export async function showNixConfig(env: NodeJS.ProcessEnv): Promise<string> {
  for (const args of [['config', 'show'], ['show-config']]) {
    try {
      return (await runNix([...args], { env })).stdout
    } catch {
      // try the older spelling
    }
  }
  return ''
}
