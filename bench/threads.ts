import { readdirSync, readFileSync } from 'node:fs'
import { clockTicks } from './cpu.js'

export interface ThreadTimes {
  /** CPU seconds by thread name: main, the libuv pool (where zstd compresses), worker threads, V8's helpers. */
  cpu: Record<string, number>
  /** Seconds the threads were ready to run but waited for a core (the kernel's run delay), in all. */
  waited: number
}

/**
 * CPU seconds of each thread of this process, summed by thread name. Node 20 names no thread,
 * so there every thread but the main one is "other". CPU time is what a thread ran, whatever
 * else ran beside it, so it stays comparable on a shared machine where wall-clock times do not;
 * the run delay says how long the push waited for a core (others' work, or its own threads
 * outnumbering the cores).
 */
export function threadTimes(): ThreadTimes {
  const cpu: Record<string, number> = {}
  let waited = 0
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string
    let schedstat: string
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      schedstat = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8')
    } catch {
      continue // the thread ended between the listing and the read
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number)
    const name = Number(tid) === process.pid ? 'main' : comm === 'node' ? 'other' : comm
    cpu[name] = (cpu[name] ?? 0) + (fields[11] + fields[12]) / clockTicks()
    waited += Number(schedstat.split(' ')[1]) / 1e9
  }
  return { cpu, waited }
}

/** "main 0.61, libuv-worker 0.93, …; waited for a core 0.12 s", the busiest first; threads under 10 ms left out. */
export function describeThreads(times: ThreadTimes): string {
  const busy = Object.entries(times.cpu)
    .filter(([, seconds]) => seconds >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) => `${name} ${seconds.toFixed(2)}`)
    .join(', ')
  return `${busy}; waited for a core ${times.waited.toFixed(2)} s`
}
