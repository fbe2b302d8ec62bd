import { access, constants, mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { runCommand } from './process.js'

const isRoot = (): boolean => process.getuid?.() === 0

/** An existing file must be writable itself; a new one needs a writable directory. */
async function writable(path: string): Promise<boolean> {
  try {
    await access(path, constants.W_OK)
    return true
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false
    return access(dirname(path), constants.W_OK).then(
      () => true,
      () => false
    )
  }
}

/**
 * Writes a root-owned file (nix.conf, binfmt register). Uses sudo when not root, passing the
 * content on stdin so nothing secret ever appears on a command line.
 */
export async function writeSystemFile(path: string, content: string, mode = 0o644): Promise<void> {
  if (isRoot() || (await writable(path))) {
    if (!path.startsWith('/proc/')) await mkdir(dirname(path), { recursive: true }).catch(() => undefined)
    await writeFile(path, content, { mode })
    return
  }
  const special = path.startsWith('/proc/')
  if (!special) await runCommand('sudo', ['mkdir', '-p', dirname(path)])
  await runCommand('sudo', ['tee', path], { input: content })
  if (!special) await runCommand('sudo', ['chmod', mode.toString(8), path])
}

/** Runs a command as root: directly when we are root, through sudo otherwise. */
export async function runAsRoot(command: string, args: string[], input?: string): Promise<string> {
  const { stdout } = isRoot()
    ? await runCommand(command, args, { input })
    : await runCommand('sudo', [command, ...args], { input })
  return stdout
}
