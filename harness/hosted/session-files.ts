// What a hosted-profile session leaves on disk, shared by the harness (session.ts) and the
// supervisor. Sessions live under one root-owned directory in /tmp, which a modern-nix chroot
// sees at the same path, so the systemctl shim finds them from inside it too.
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

export const SESSIONS_DIR = '/tmp/nix-cachix-build-hosted'
export const SESSION_VARIABLE = 'NIX_CACHIX_BUILD_HOSTED_SESSION'

export interface SessionSpec {
  /** The test process; the session ends with it. */
  ownerPid: number
  /** nix-daemon's socket (NIX_DAEMON_SOCKET_PATH), the same path on the host and in a chroot. */
  socket: string
  /** How the supervisor starts the daemon, and with which environment. */
  command: string[]
  env: Record<string, string>
  /** Where this session installed the systemctl shim (removed by the last session using it). */
  shims: string[]
}

function alive(pid: number): boolean {
  if (!(pid > 0)) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function supervisorPid(dir: string): number {
  try {
    return Number(readFileSync(join(dir, 'supervisor.pid'), 'utf8'))
  } catch {
    return 0
  }
}

/** Session directories (named OWNERPID-…) whose test process or supervisor still runs, `except` one. */
export function liveSessions(except?: string): string[] {
  let names: string[]
  try {
    names = readdirSync(SESSIONS_DIR)
  } catch {
    return []
  }
  return names
    .map(name => join(SESSIONS_DIR, name))
    .filter(dir => dir !== except)
    .filter(
      dir => alive(Number(/^(\d+)-/.exec(dir.slice(SESSIONS_DIR.length + 1))?.[1] ?? 0)) || alive(supervisorPid(dir))
    )
}

/** Removes the session's shims unless another live session installed the same ones. */
export function removeShimsIfLast(spec: SessionSpec, dir: string): void {
  const inUse = new Set<string>()
  for (const other of liveSessions(dir)) {
    try {
      for (const shim of (JSON.parse(readFileSync(join(other, 'session.json'), 'utf8')) as SessionSpec).shims)
        inUse.add(shim)
    } catch {
      // a session still being written: it installs its shims itself
    }
  }
  for (const shim of spec.shims) if (!inUse.has(shim)) rmSync(shim, { force: true })
}
