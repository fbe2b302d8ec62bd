import { mayFreeDisk } from '../../machine/disk-space.js'
import { roomiestBuildDir, startDiskCleanup } from '../../machine/free-disk.js'
import type { Run } from './run.js'
import { STEP_LOG } from './step-log.js'

/** With free-disk-space, starts removing the toolchains in the background: it runs while the hosts evaluate. */
export function startFreeingDisk({ inputs, env }: Run): Promise<void> | undefined {
  return inputs.freeDiskSpace ? startDiskCleanup(env, STEP_LOG) : undefined
}

/** Waits for the toolchain removal and picks the build directory with the most room. */
export async function freeDiskPhase(cleanup: Promise<void>, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  await cleanup
  return mayFreeDisk(env.RUNNER_ENVIRONMENT, env.RUNNER_OS).ok ? roomiestBuildDir(env, STEP_LOG) : undefined
}
