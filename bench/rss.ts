import { readFileSync, readdirSync } from 'node:fs'

export interface PeakRss {
  /** Highest sum of VmRSS over the process and its descendants at one sample. */
  treeKiB: number
  /** Highest VmHWM seen per command name (kernel-tracked, so exact even between samples). */
  byCommand: Record<string, number>
}

function statusField(pid: number, field: string): { name: string; kib: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const name = /^Name:\s*(.*)$/m.exec(status)?.[1] ?? '?'
    const value = new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(status)?.[1]
    return value === undefined ? undefined : { name, kib: Number(value) }
  } catch {
    return undefined
  }
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // The command name may hold spaces and parentheses: the fields after the last ')' are safe.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // The process ended between the listing and the read.
    }
  }
  const out: number[] = []
  const stack = [root]
  while (stack.length > 0) {
    const pid = stack.pop() as number
    out.push(pid)
    stack.push(...(children.get(pid) ?? []))
  }
  return out
}

/** Samples a process tree every `intervalMs` until stopped. */
export function watchRss(pid: number, intervalMs = 50): { stop(): PeakRss } {
  const peak: PeakRss = { treeKiB: 0, byCommand: {} }
  const sample = (): void => {
    let sum = 0
    for (const p of descendants(pid)) {
      const rss = statusField(p, 'VmRSS')
      const hwm = statusField(p, 'VmHWM')
      if (!rss) continue
      sum += rss.kib
      if (hwm) peak.byCommand[hwm.name] = Math.max(peak.byCommand[hwm.name] ?? 0, hwm.kib)
    }
    peak.treeKiB = Math.max(peak.treeKiB, sum)
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    stop: () => {
      clearInterval(timer)
      return peak
    }
  }
}

/** This process's own high-water mark, from the kernel. */
export function ownPeakKiB(): number {
  return statusField(process.pid, 'VmHWM')?.kib ?? 0
}
