import { derivationName, logTail, type FailedBuild } from './build-failures.js'
import { runNix } from '../nix/command.js'
import { errorMessage } from '../util/errors.js'

/**
 * Each failed derivation's name and the end of its log: `nix log` from the local store (no
 * substituter is asked), else the lines `--print-build-logs` printed for it.
 */
export async function failedBuildLogs(
  drvPaths: string[],
  printed: (name: string) => string,
  env: NodeJS.ProcessEnv
): Promise<FailedBuild[]> {
  const builds: FailedBuild[] = []
  for (const drvPath of drvPaths) {
    const name = derivationName(drvPath)
    let log: string
    try {
      log = (await runNix(['log', '--option', 'substituters', '', drvPath], { env })).stdout
    } catch (error: unknown) {
      log = printed(name) || `(nix log has no log for it: ${errorMessage(error)})`
    }
    builds.push({ drvPath, name, logTail: logTail(log.trim() === '' ? printed(name) : log) })
  }
  return builds
}
