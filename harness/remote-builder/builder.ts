// A real remote builder on this machine: a second Nix (Debian sid's 2.34, in a chroot of its own,
// see chroot.sh) with a store of its own, behind an sshd on a loopback port whose authorized key
// may only run `nix-daemon --stdio`. It is what nixbuild.net or a fleet's own arm box is to a
// GitHub runner. Its store keeps a log of every derivation it built: the builder's own record.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { runCommand } from '../../src/util/process.js'
import { nixMachineFromEnv, type NixMachine } from '../hosted/session.js'
import { accepts } from '../net.js'

const HERE = import.meta.dirname
const REPO = resolve(HERE, '..', '..')

/** The chroot the builders run in (REMOTE_BUILDER_CHROOT, default /opt/nix-sid-ssh). */
export function builderChroot(): string {
  return process.env.REMOTE_BUILDER_CHROOT ?? '/opt/nix-sid-ssh'
}

function modernNixTool(): string {
  return process.env.MODERN_NIX_TOOL ?? resolve(REPO, '..', 'shared', 'tools', 'modern-nix.sh')
}

/** Why the lab cannot have a remote builder here, if it cannot (no modern-nix.sh, not root). */
export function builderUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the remote builder needs root (a chroot, its sshd, its mounts)'
  if (!existsSync(modernNixTool()))
    return `${modernNixTool()} is not here (the lab's shared tools): set MODERN_NIX_TOOL`
  return undefined
}

/** Sets the chroot up when it is not (CI does it in the background first: see .ci/run). */
export async function ensureBuilderChroot(): Promise<void> {
  await runCommand('bash', [join(HERE, 'chroot.sh'), modernNixTool(), builderChroot()])
}

/**
 * The hosted runner's machine for jobs that use remote builders: the default one (this machine,
 * or RUNNER_NIX_CHROOT) when it has an ssh client, as every GitHub runner image does; else the
 * builders' chroot, which has one and the same Nix as the shared sid chroot.
 */
export function runnerMachineWithSsh(): NixMachine {
  const machine = nixMachineFromEnv()
  if (machine.kind === 'host' || existsSync(join(machine.root, 'usr/bin/ssh'))) return machine
  return { kind: 'chroot', root: builderChroot(), tool: machine.tool }
}

export interface SshKeyPair {
  privateKey: string
  publicKey: string
}

/** A fresh ed25519 key pair (ssh-keygen), without a passphrase. */
export async function newKeyPair(comment: string): Promise<SshKeyPair> {
  const dir = await mkdtemp('/tmp/nix-cachix-build-key-')
  try {
    const file = join(dir, 'id')
    await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file])
    return { privateKey: await readFile(file, 'utf8'), publicKey: (await readFile(`${file}.pub`, 'utf8')).trim() }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** A loopback port nothing listens on (at the moment of asking). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  const address = server.address()
  await new Promise<void>(done => server.close(() => done()))
  if (address === null || typeof address === 'string') throw new Error('no loopback port')
  return address.port
}

export interface BuilderOptions {
  /** Field 2 of its builders line; aarch64-linux makes its Nix build aarch64 derivations too (extra-platforms). */
  systems: string[]
  /** The key it lets in (default: a new pair, see `clientKey`). */
  authorized?: SshKeyPair
}

export interface RemoteBuilder {
  port: number
  /** ssh-ng://root@127.0.0.1:PORT */
  uri: string
  /** The builders input line: URI, systems, and "-" for the key (builder-ssh-key fills it). */
  line: string
  /** Its host key as ssh-keyscan prints it: "[127.0.0.1]:PORT ssh-ed25519 AAAA…". */
  hostKeyLine: string
  /** The key it lets in. */
  clientKey: SshKeyPair
  /** Its store on this machine's file system (the builder sees it as /nix). */
  storeDir: string
  /** The derivations it built, by its own store's build logs (basenames, e.g. abc…-x.drv). */
  builtDerivations(): Promise<string[]>
  /** Output paths valid in its store (by directory, as its store holds them). */
  hasPath(path: string): boolean
  stop(): Promise<void>
}

/** Starts a builder: a fresh store, a fresh host key, sshd on a free loopback port. */
export async function startRemoteBuilder(options: BuilderOptions): Promise<RemoteBuilder> {
  const root = builderChroot()
  const state = await mkdtemp('/tmp/nix-cachix-build-builder-')
  for (const dir of ['nix', 'etc-nix', 'ssh']) await mkdir(join(state, dir), { mode: 0o755 })
  const hostKeyFile = join(state, 'ssh', 'host_ed25519')
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'builder host key', '-f', hostKeyFile])
  const clientKey = options.authorized ?? (await newKeyPair('nix-cachix-build test runner'))
  // The key may run nothing but the builder's Nix, whatever the client asks for.
  await writeFile(
    join(state, 'ssh', 'authorized_keys'),
    `restrict,command="exec nix-daemon --stdio" ${clientKey.publicKey}\n`,
    { mode: 0o600 }
  )
  await writeFile(
    join(state, 'etc-nix', 'nix.conf'),
    [
      'experimental-features = nix-command flakes',
      'sandbox = false',
      'substituters =',
      // The chroot has no build users of its own for this store: builds run as root.
      'build-users-group =',
      'flake-registry =',
      ...(options.systems.includes('aarch64-linux') ? ['extra-platforms = aarch64-linux'] : []),
      ''
    ].join('\n')
  )
  const port = await freePort()
  await writeFile(
    join(state, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyFile}`,
      `AuthorizedKeysFile ${join(state, 'ssh', 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The state directory is under /tmp, which is world-writable.
      'StrictModes no',
      'PidFile none',
      'LogLevel VERBOSE',
      ''
    ].join('\n')
  )
  const log = join(state, 'sshd.log')
  let child: ChildProcess | undefined = spawn(join(HERE, 'start.sh'), [root, state], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let exited = false
  let output = ''
  const record = (chunk: Buffer): void => {
    output += chunk.toString('utf8')
  }
  child.stdout?.on('data', record)
  child.stderr?.on('data', record)
  child.once('exit', () => {
    exited = true
    void writeFile(log, output).catch(() => undefined)
  })
  const killOnExit = (): void => {
    if (child?.pid !== undefined && !exited) child.kill('SIGTERM')
  }
  process.once('exit', killOnExit)
  for (let i = 0; i < 200 && !exited && !(await accepts({ port, host: '127.0.0.1' })); i++) await sleep(50)
  if (exited || !(await accepts({ port, host: '127.0.0.1' }))) {
    killOnExit()
    throw new Error(`the remote builder's sshd did not start: ${output.trim().split('\n').slice(-3).join(' | ')}`)
  }
  const hostKey = (await readFile(`${hostKeyFile}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')
  const uri = `ssh-ng://root@127.0.0.1:${port}`
  return {
    port,
    uri,
    line: `${uri} ${options.systems.join(',')} - 2`,
    hostKeyLine: `[127.0.0.1]:${port} ${hostKey}`,
    clientKey,
    storeDir: join(state, 'nix', 'store'),
    async builtDerivations() {
      const logs = join(state, 'nix', 'var', 'log', 'nix', 'drvs')
      const found: string[] = []
      for (const prefix of await readdir(logs).catch(() => []))
        for (const name of await readdir(join(logs, prefix)))
          found.push(`${prefix}${name.replace(/\.(bz2|zst|xz)$/, '')}`)
      return found.sort()
    },
    hasPath(path: string) {
      return existsSync(join(state, path))
    },
    async stop() {
      process.removeListener('exit', killOnExit)
      if (child && !exited) {
        const done = new Promise(resolveExit => child?.once('exit', resolveExit))
        child.kill('SIGTERM')
        await done
      }
      child = undefined
      // Store paths are read-only directories; as root, rm takes them anyway.
      await rm(state, { recursive: true, force: true })
    }
  }
}
