import type { PushTotals } from './pusher.js'
import type { Log } from '../util/log.js'
import { freeDiskBytes } from '../machine/free-disk.js'
import { formatBytes } from '../util/format.js'
import { errorMessage } from '../util/errors.js'

const LOW_DISK_BYTES = 2 * 1024 ** 3

/** What the pusher has done so far, for a heartbeat line. */
export function describePushing(totals: PushTotals | undefined): string {
  return totals
    ? `pushed ${totals.uploaded} paths (${formatBytes(totals.uploadedFileBytes)}), ${totals.pending} waiting`
    : 'not pushing'
}

/**
 * Every `intervalMs` until stopped, one line saying what is going on (`describe`), how long it
 * has run and how much disk is left; a warning when the disk is nearly full. Builds and pushes
 * can each go quiet for many minutes, and a silent log looks like a hang.
 */
export function startHeartbeat(intervalMs: number, log: Log, describe: () => string): () => void {
  const started = Date.now()
  const timer = setInterval(() => {
    void (async () => {
      const free = await freeDiskBytes()
      const minutes = Math.round((Date.now() - started) / 60000)
      log.info(
        `[heartbeat ${minutes} min] ${describe()}, disk free ${free === undefined ? 'unknown' : formatBytes(free)}`
      )
      if (free !== undefined && free < LOW_DISK_BYTES)
        log.warning(
          `Only ${formatBytes(free)} of disk left for the Nix store: builds may fail soon; what is built is being pushed.`
        )
    })().catch((error: unknown) => log.info(`[heartbeat] ${errorMessage(error)}`))
  }, intervalMs)
  return () => clearInterval(timer)
}
