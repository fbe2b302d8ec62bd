import { derivationBuilding } from '../nix/build-log.js'

export type HookVerdict = 'unknown' | 'runs' | 'silent'

/**
 * Tells whether the post-build-hook runs. Nix says "building '<drv>'" when a build starts, and
 * the hook appends a spool line when one has finished. A build that has finished while the
 * spool stays empty means the daemon never loaded the hook: nothing streams to the cache.
 */
export class HookLiveness {
  private readonly started: string[] = []
  private spooled = 0
  private finishedAt?: number
  verdict: HookVerdict = 'unknown'

  constructor(
    /** True once every output of the derivation is valid. */
    private readonly isFinished: (drvPath: string) => Promise<boolean>,
    /** How long a finished build may wait for its spool line (the hook runs after outputs are valid). */
    private readonly graceMs = 5000,
    private readonly now: () => number = Date.now
  ) {}

  onLogLine(line: string): void {
    const drvPath = derivationBuilding(line)
    if (drvPath !== undefined && !this.started.includes(drvPath)) this.started.push(drvPath)
  }

  onSpooled(entries: number): void {
    this.spooled += entries
    if (this.spooled > 0) this.verdict = 'runs'
  }

  /** While building. True when this check decided the hook is silent. */
  async check(): Promise<boolean> {
    if (this.verdict !== 'unknown' || this.started.length === 0) return false
    if (this.finishedAt === undefined) {
      // The oldest build started first; with several jobs another may finish first, which only delays the verdict.
      if (await this.isFinished(this.started[0])) this.finishedAt = this.now()
      return false
    }
    if (this.spooled > 0 || this.now() - this.finishedAt < this.graceMs) return false
    this.verdict = 'silent'
    return true
  }

  /**
   * After nix exited and the spool was read to its end: the derivations that were built while
   * the hook stayed silent (empty when it ran, or when nothing was built).
   */
  async builtWithoutHook(): Promise<string[]> {
    if (this.spooled > 0) return []
    const built: string[] = []
    for (const drv of this.started) if (await this.isFinished(drv)) built.push(drv)
    if (built.length > 0) this.verdict = 'silent'
    return built
  }
}

/** What to tell the user; `built` is known once nix has exited, not while it still builds. */
export function silentHookMessage(built?: number): string {
  const what = built === undefined ? 'A derivation was' : `${built} derivation${built === 1 ? ' was' : 's were'}`
  return (
    `${what} built but the post-build-hook never ran, so nothing was pushed while building: ` +
    "the nix-daemon did not load the hook this action wrote to nix.conf (it reads nix.conf only when it starts, and it is not systemd's nix-daemon.service or its restart failed: see the Configure Nix group). " +
    "The push after the build still uploads the closures of what was built. To stream while building, run the daemon as systemd's nix-daemon.service (which this action restarts) or use a single-user Nix."
  )
}
