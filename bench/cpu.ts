import { readFileSync } from 'node:fs'
import { runCommand } from '../src/util/process.js'

let ticksPerSecond: number | undefined

/** Reads the kernel's clock tick once; /proc reports CPU time in these ticks. */
export async function initCpuClock(): Promise<void> {
  ticksPerSecond = Number((await runCommand('getconf', ['CLK_TCK'])).stdout.trim()) || 100
}

/** Kernel clock ticks per second (after initCpuClock). */
export function clockTicks(): number {
  return ticksPerSecond ?? 100
}

function fields(pid: number | 'self'): number[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which may itself hold spaces: state is [0], utime [11].
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number)
}

/** CPU seconds a process used itself (user + system). */
export function ownCpu(pid: number | 'self'): number {
  const f = fields(pid)
  return (f[11] + f[12]) / (ticksPerSecond ?? 100)
}

/**
 * CPU seconds of this process's children that have ended, their own children included:
 * the difference across one push is what that push's whole process tree cost.
 */
export function reapedChildrenCpu(): number {
  const f = fields('self')
  return (f[13] + f[14]) / (ticksPerSecond ?? 100)
}

/** CPU spent by the client tree and by the server while `work` runs. */
export async function measureCpu<T>(
  serverPid: number,
  work: () => Promise<T>
): Promise<{ result: T; clientCpu: number; serverCpu: number }> {
  const client = reapedChildrenCpu()
  const server = ownCpu(serverPid)
  const result = await work()
  return { result, clientCpu: reapedChildrenCpu() - client, serverCpu: ownCpu(serverPid) - server }
}
