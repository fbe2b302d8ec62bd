// What the ssh that Nix starts for its remote builders reads, put where that ssh runs. With a
// nix-daemon (every multi-user install) the daemon starts ssh as root, with its own environment:
// the step's NIX_SSHOPTS, ssh-agent and ~/.ssh never reach it. So the key goes to a file only
// root can read, named in the builders line itself; with a single-user Nix, ssh runs as this user
// and the same files are this user's.
import { spawn } from 'node:child_process'
import { access, chmod, constants, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { NIX_FLAKES_ARGS } from '../nix/command.js'
import { runAsRoot, writeSystemFile } from '../util/privileged.js'
import { childEnv } from '../util/process.js'
import { exists } from '../util/fs.js'

const isRoot = (): boolean => process.getuid?.() === 0

/**
 * True when Nix runs the builders' ssh as root: this process is root, or its Nix goes through
 * the daemon (NIX_REMOTE, or, as Nix's "auto" store decides, a state directory it cannot write).
 */
export async function sshRunsAsRoot(env: NodeJS.ProcessEnv): Promise<boolean> {
  if (isRoot()) return true
  const store = env.NIX_REMOTE ?? ''
  if (store === 'local' || store.startsWith('local?')) return false
  if (store !== '' && store !== 'auto') return true
  return access(env.NIX_STATE_DIR ?? '/nix/var/nix', constants.W_OK).then(
    () => false,
    () => true
  )
}

/** Writes the key 0600 into `dir` (made 0700 first), owned by root when `asRoot`, else by this user. Returns its path. */
export async function writeBuilderKey(dir: string, key: string, asRoot: boolean): Promise<string> {
  const file = join(dir, 'id')
  if (asRoot && !isRoot()) {
    // The directory first, so the key is never in a place another user can enter.
    await runAsRoot('install', ['-d', '-m', '700', dir])
    await writeSystemFile(file, key, 0o600)
  } else {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await chmod(dir, 0o700)
    await writeFile(file, key, { mode: 0o600 })
    await chmod(file, 0o600)
  }
  return file
}

// Debian, Ubuntu and macOS include this directory from /etc/ssh/ssh_config.
const SSH_CONFIG = '/etc/ssh/ssh_config'
export const SSH_CONFIG_DIR = '/etc/ssh/ssh_config.d'

/** Puts `text` into ssh's system configuration as `file` (under SSH_CONFIG_DIR), refusing when ssh would not read it. */
export async function writeSshConfigPart(file: string, text: string): Promise<void> {
  const main = await readFile(SSH_CONFIG, 'utf8').catch(() => '')
  if (!/^\s*Include\s+\/etc\/ssh\/ssh_config\.d\//im.test(main))
    throw new Error(
      `${SSH_CONFIG} does not include ${SSH_CONFIG_DIR}, so a builder's port cannot be given to root's ssh; install Nix 2.31 or later, which takes the port in the builder's URI`
    )
  await writeSystemFile(file, text, 0o644)
}

/** Removes what the builders' set-up wrote, as the user who owns it. */
export async function removeBuilderFiles(paths: string[]): Promise<void> {
  for (const path of paths) {
    if (path === '') continue
    if (isRoot()) await rm(path, { recursive: true, force: true })
    else
      await rm(path, { recursive: true, force: true }).catch(async () => {
        await runAsRoot('rm', ['-rf', '--', path])
      })
  }
}

/** The absolute path of `name` on env's PATH (sudo's own PATH may not have Nix's profile). */
async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    if (await exists(candidate, constants.X_OK)) return candidate
  }
  return name
}

export interface ConnectionCheck {
  ok: boolean
  /** What nix (and the ssh it started) printed. */
  output: string
}

/**
 * Opens `storeUri` as the user whose ssh Nix will run: `nix store ping`, which starts ssh the
 * way a remote build does and then talks to the builder's Nix. No prompt can block it, and it
 * gives up after `timeoutMs`.
 */
export async function checkBuilderConnection(
  storeUri: string,
  asRoot: boolean,
  env: NodeJS.ProcessEnv,
  timeoutMs: number
): Promise<ConnectionCheck> {
  const sshOptions = `-oBatchMode=yes -oConnectTimeout=${Math.max(1, Math.round(timeoutMs / 2000))}`
  const nix = await onPath('nix', env)
  const pingArgs = [...NIX_FLAKES_ARGS, 'store', 'ping', '--store', storeUri]
  const [command, args] =
    asRoot && !isRoot() ? ['sudo', ['env', `NIX_SSHOPTS=${sshOptions}`, nix, ...pingArgs]] : [nix, pingArgs]
  const child = spawn(command, args, {
    env: { ...childEnv(env), NIX_SSHOPTS: sshOptions },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGTERM')
  }, timeoutMs)
  const code = await new Promise<number>(resolve => {
    child.on('error', error => {
      output += `could not start ${command}: ${error.message}\n`
      resolve(127)
    })
    child.on('close', exitCode => resolve(exitCode ?? 1))
  })
  clearTimeout(timer)
  if (timedOut) output += `\nConnection timed out: no answer within ${Math.round(timeoutMs / 1000)} s`
  return { ok: code === 0 && !timedOut, output }
}
