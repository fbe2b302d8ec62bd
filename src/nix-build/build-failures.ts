/** How much of a failed builder's log the job summary shows. */
export const FAILED_LOG_LINES = 25

export interface FailedBuild {
  drvPath: string
  /** The derivation's name: the store path without hash and .drv. */
  name: string
  /** The last lines of its log. */
  logTail: string[]
}

export function derivationName(drvPath: string): string {
  return drvPath.replace(/^\/nix\/store\/[0-9a-z]{32}-/, '').replace(/\.drv$/, '')
}

/**
 * Follows `nix build`'s stderr for derivations whose own builder failed. Nix up to 2.18 says
 * "builder for '…drv' failed"; later ones say "Cannot build '…drv'." and then a "Reason:" line,
 * which for a derivation that only waited on a failed dependency says so and is not counted.
 */
export class FailedBuildWatcher {
  private readonly failed: string[] = []
  private pending?: string
  /** The last lines `--print-build-logs` printed for each derivation name (`name> text`). */
  private readonly printed = new Map<string, string[]>()

  onLine(line: string): void {
    const logLine = /^([^\s>]+)> (.*)$/.exec(line)
    if (logLine) {
      const kept = this.printed.get(logLine[1]) ?? []
      kept.push(logLine[2])
      if (kept.length > FAILED_LOG_LINES) kept.shift()
      this.printed.set(logLine[1], kept)
      return
    }
    const old = /builder for '(\/nix\/store\/[^']+\.drv)' failed/.exec(line)
    if (old) this.add(old[1])
    const modern = /Cannot build '(\/nix\/store\/[^']+\.drv)'/.exec(line)
    if (modern) {
      this.pending = modern[1]
      return
    }
    if (this.pending !== undefined && /^\s*Reason:/.test(line)) {
      if (!/dependenc/.test(line)) this.add(this.pending)
      this.pending = undefined
    }
  }

  /** What the build printed of a derivation's log, the last lines only: the fallback when `nix log` has none. */
  printedLog(name: string): string {
    return (this.printed.get(name) ?? []).join('\n')
  }

  /** Derivations whose builder failed, each once, in the order they failed. */
  derivations(): string[] {
    return [...this.failed]
  }

  private add(drvPath: string): void {
    if (!this.failed.includes(drvPath)) this.failed.push(drvPath)
  }
}

/** The last `count` non-empty lines of a log, trailing blanks and carriage returns taken off. */
export function logTail(log: string, count = FAILED_LOG_LINES): string[] {
  const lines = log
    .replace(/\r/g, '')
    .split('\n')
    .map(l => l.trimEnd())
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  return lines.slice(-count)
}
