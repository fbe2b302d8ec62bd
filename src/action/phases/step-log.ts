import * as core from '@actions/core'
import type { Log } from '../../util/log.js'

/** The step's own log, for the engine's progress lines. */
export const STEP_LOG: Log = { info: (line: string) => core.info(line), warning: (line: string) => core.warning(line) }

/** A Cachix call that is retried, as a line of the step's log. */
export function logCachixRetry(what: string, attempt: number, delayMs: number, reason: string): void {
  core.info(`Cachix ${what}: ${reason}, retry ${attempt} in ${delayMs} ms`)
}
