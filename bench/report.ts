import { MiB } from './config.js'

export type Row = string[]

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}

export function rate(bytes: number, ms: number): string {
  return `${(bytes / MiB / (ms / 1000)).toFixed(1)} MiB/s`
}

export function ratio(value: number): string {
  return `${value.toFixed(2)}x`
}

/** PASS when `value` is on the good side of `target`. */
export function verdict(value: number, target: number, higherIsBetter: boolean): string {
  return (higherIsBetter ? value >= target : value <= target) ? 'PASS' : 'MISS'
}

export function table(rows: Row[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => (r[i] ?? '').length)))
  const line = (row: Row): string =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  const rule = widths.map(w => '-'.repeat(w)).join('  ')
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n')
}

/** The best (lowest) of several timings, with how many there were. */
export function best<T>(runs: T[], key: (run: T) => number): T {
  return runs.reduce((a, b) => (key(b) < key(a) ? b : a))
}

/** PASS/MISS, or FAIL when the run that produced the number did not do all its work. */
export function judged(value: number, target: number, higherIsBetter: boolean, valid: boolean): string {
  return valid ? verdict(value, target, higherIsBetter) : 'FAIL (a push failed or hung)'
}

/** Logs why a push is not a valid measurement; true when it is. */
export function checkPush(
  log: (line: string) => void,
  who: string,
  failures: string[],
  uploaded: number,
  expected: number
): boolean {
  if (failures.length === 0 && uploaded === expected) return true
  log(`${who}: INVALID RUN, uploaded ${uploaded} of ${expected} paths, ${failures.length} failed; first failures:`)
  for (const failure of failures.slice(0, 3)) log(`  ${failure}`)
  return false
}
