// The hosted-runner profile: the machine a GitHub-hosted runner is, reproduced here. Steps run
// as the non-root `runner` user with passwordless sudo; Nix is a real multi-user nix-daemon run
// as root with the nixbld build users, reached with NIX_REMOTE=daemon; the daemon's nix.conf is
// root-owned, so the action must write it through sudo, and it is restarted only through
// `systemctl restart nix-daemon.service` (a shim for that one unit, see systemctl.sh).
//
// The machine is either this one (Debian's Nix 2.8) or a modern-nix.sh chroot (RUNNER_NIX_CHROOT,
// e.g. Debian sid's Nix 2.34): then the daemon and every step run inside the chroot, with its own
// /nix store, and only /tmp, the workspace and the repository are shared with this machine.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { runCommand } from '../../src/util/process.js'
import { liveSessions, SESSION_VARIABLE, SESSIONS_DIR, type SessionSpec } from './session-files.js'

const HERE = import.meta.dirname
const REPO = resolve(HERE, '..', '..')
/** The PATH a GitHub-hosted Ubuntu runner gives a step, less the tool caches this machine lacks. */
export const RUNNER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export type NixMachine = { kind: 'host' } | { kind: 'chroot'; root: string; tool: string }

export interface RunnerUser {
  name: string
  uid: number
  gid: number
  /** HOME as the step sees it. */
  home: string
  /** The same directory as this (the harness's) process sees it. */
  homeOnHost: string
}

/** This machine, or the chroot RUNNER_NIX_CHROOT names (made by modern-nix.sh, MODERN_NIX_TOOL). */
export function nixMachineFromEnv(): NixMachine {
  const root = process.env.RUNNER_NIX_CHROOT
  if (!root) return { kind: 'host' }
  return {
    kind: 'chroot',
    root,
    tool: process.env.MODERN_NIX_TOOL ?? resolve(REPO, '..', 'shared', 'tools', 'modern-nix.sh')
  }
}

/** nix.conf as the image ships it: no sandbox (it fails on this kernel's Debian), no network caches. */
export function imageNixConf(machine: NixMachine): string {
  return machine.kind === 'chroot'
    ? 'experimental-features = nix-command flakes\nsandbox = false\nsubstituters =\nflake-registry =\n'
    : 'sandbox = false\nsubstituters =\n'
}

/**
 * Where the systemctl shim goes: first on the runner's PATH and on sudo's secure_path. Debian
 * bookworm's (and Ubuntu's) secure_path starts with /usr/local/sbin; sid's has no /usr/local at
 * all but starts with /usr/sbin. A minbase chroot has no systemd, so /usr/bin is free; one with
 * systemd (openssh-server brings it, see harness/remote-builder) has its systemctl there, which
 * the shim shadows from /usr/sbin.
 */
function shimPath(machine: NixMachine): string {
  if (machine.kind === 'host') return '/usr/local/sbin/systemctl'
  const inBin = join(machine.root, 'usr/bin/systemctl')
  const systemd = existsSync(inBin) && !readFileSync(inBin, 'latin1').includes("nix-cachix-build's hosted-runner")
  return systemd ? join(machine.root, 'usr/sbin/systemctl') : inBin
}

async function runnerUser(machine: NixMachine): Promise<RunnerUser> {
  const { stdout } = await runCommand('getent', ['passwd', 'runner'])
  const [name, , uid, gid, , home] = stdout.trim().split(':')
  return {
    name,
    uid: Number(uid),
    gid: Number(gid),
    home,
    homeOnHost: machine.kind === 'chroot' ? join(machine.root, home) : home
  }
}

export class HostedSession {
  private constructor(
    readonly machine: NixMachine,
    readonly user: RunnerUser,
    readonly dir: string,
    readonly spec: SessionSpec
  ) {}

  /** The root-owned directory holding the daemon's nix.conf (NIX_CONF_DIR of daemon and steps). */
  get confDir(): string {
    return join(this.dir, 'etc-nix')
  }

  static async start(machine: NixMachine): Promise<HostedSession> {
    if (process.getuid?.() !== 0)
      throw new Error(
        'the hosted runner profile needs root (it adds the runner user and runs nix-daemon): run the tests as root or set RUNNER_PROFILE=root'
      )
    const prepare = join(HERE, 'prepare.sh')
    await runCommand('bash', machine.kind === 'chroot' ? [prepare, machine.root, machine.tool] : [prepare])
    const user = await runnerUser(machine)
    await mkdir(SESSIONS_DIR, { recursive: true, mode: 0o755 })
    await removeDeadSessions()
    const dir = await mkdtemp(join(SESSIONS_DIR, `${process.pid}-`))
    await chmod(dir, 0o755)
    for (const sub of ['etc-nix', 'daemon-socket']) await mkdir(join(dir, sub), { mode: 0o755 })
    await writeFile(join(dir, 'etc-nix', 'nix.conf'), imageNixConf(machine), { mode: 0o644 })
    const socket = join(dir, 'daemon-socket', 'socket')
    const daemon = '/usr/bin/nix-daemon'
    const spec: SessionSpec = {
      ownerPid: process.pid,
      socket,
      command: machine.kind === 'chroot' ? [machine.tool, 'run', machine.root, '--', daemon] : [daemon],
      env: {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: '/root',
        NIX_CONF_DIR: join(dir, 'etc-nix'),
        NIX_DAEMON_SOCKET_PATH: socket
      },
      shims: [shimPath(machine)]
    }
    await writeFile(join(dir, 'session.json'), JSON.stringify(spec, null, 2))
    const session = new HostedSession(machine, user, dir, spec)
    await session.installShims()
    const supervisor = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'supervisor.ts'), dir], {
      cwd: REPO,
      detached: true,
      stdio: 'ignore'
    })
    supervisor.unref()
    process.once('exit', () => {
      if (supervisor.pid !== undefined) process.kill(supervisor.pid, 'SIGTERM')
    })
    await session.waitForGeneration(0, 60_000)
    return session
  }

  /** Reinstalls the shim if another session's end removed it meanwhile. */
  async installShims(): Promise<void> {
    const content = await readFile(join(HERE, 'systemctl.sh'), 'utf8')
    for (const shim of this.spec.shims) {
      const existing = await readFile(shim, 'utf8').catch(() => undefined)
      if (existing === content) continue
      if (existing !== undefined && !existing.includes("nix-cachix-build's hosted-runner"))
        throw new Error(`${shim} exists and is not the harness's systemctl shim: the hosted profile would shadow it`)
      await mkdir(dirname(shim), { recursive: true })
      await writeFile(shim, content, { mode: 0o755 })
    }
  }

  /** The environment a step gets to reach this session's daemon (and the shim to find it). */
  stepEnv(): Record<string, string> {
    return {
      NIX_REMOTE: 'daemon',
      NIX_DAEMON_SOCKET_PATH: this.spec.socket,
      NIX_CONF_DIR: this.confDir,
      [SESSION_VARIABLE]: this.dir
    }
  }

  /**
   * The command that runs `argv` as the runner user on this machine (inside the chroot if there
   * is one). `env` is what the command needs besides stepEnv() (nothing today; kept for callers).
   */
  asRunner(argv: string[]): { command: string; args: string[]; env: Record<string, string> } {
    const drop = ['setpriv', `--reuid=${this.user.uid}`, `--regid=${this.user.gid}`, '--init-groups', '--', ...argv]
    if (this.machine.kind === 'host') return { command: drop[0], args: drop.slice(1), env: {} }
    // The repository (dist/, Node 24) and any program named by an absolute path outside it.
    const binds = new Set([REPO, ...argv.filter(a => a.startsWith('/') && !a.startsWith(REPO)).map(a => dirname(a))])
    return {
      command: join(HERE, 'in-chroot.sh'),
      args: [this.machine.root, [...binds].join(':'), '--', ...drop],
      env: {}
    }
  }

  /** A new job's machine has the image's nix.conf, read by a daemon started with it. */
  async setNixConf(text: string): Promise<void> {
    const file = join(this.confDir, 'nix.conf')
    if ((await readFile(file, 'utf8').catch(() => undefined)) === text) return
    await writeFile(file, text, { mode: 0o644 })
    await this.restartDaemon()
  }

  async restartDaemon(): Promise<void> {
    const before = this.generation()
    process.kill(this.supervisorPid(), 'SIGHUP')
    await this.waitForGeneration(before, 30_000)
  }

  /** How many times `systemctl restart nix-daemon.service` was run in this session. */
  async systemctlRestarts(): Promise<number> {
    const text = await readFile(join(this.dir, 'systemctl.log'), 'utf8').catch(() => '')
    return text.split('\n').filter(l => l.startsWith('restart ')).length
  }

  async daemonLog(): Promise<string> {
    return readFile(join(this.dir, 'daemon.log'), 'utf8').catch(() => '')
  }

  async giveToRunner(path: string): Promise<void> {
    await runCommand('chown', ['-R', `${this.user.uid}:${this.user.gid}`, path])
  }

  private generation(): number {
    return Number(readFileSync(join(this.dir, 'generation'), 'utf8').trim() || '0')
  }

  private supervisorPid(): number {
    return Number(readFileSync(join(this.dir, 'supervisor.pid'), 'utf8'))
  }

  private async waitForGeneration(before: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (existsSync(join(this.dir, 'generation')) && this.generation() > before) {
        if (readFileSync(join(this.dir, 'state'), 'utf8').trim() === 'active') return
        break
      }
      await sleep(50)
    }
    throw new Error(
      `the hosted profile's nix-daemon did not come up: ${(await this.daemonLog()).trim().split('\n').slice(-5).join(' | ')}`
    )
  }
}

async function removeDeadSessions(): Promise<void> {
  const live = new Set(liveSessions())
  for (const name of await readdir(SESSIONS_DIR)) {
    const dir = join(SESSIONS_DIR, name)
    if (!live.has(dir)) await rm(dir, { recursive: true, force: true })
  }
}

const sessions = new Map<string, Promise<HostedSession>>()

/**
 * The session of this test process on `machine` (by default the one RUNNER_NIX_CHROOT names),
 * started on first use and ended when the process exits.
 */
export function hostedSession(machine: NixMachine = nixMachineFromEnv()): Promise<HostedSession> {
  const key = machine.kind === 'host' ? 'host' : machine.root
  let session = sessions.get(key)
  if (session === undefined) {
    session = HostedSession.start(machine)
    sessions.set(key, session)
  }
  return session
}
