import { rm } from 'node:fs/promises'
import { removeBuilderFiles } from '../../machine/builder-ssh.js'
import { restartDaemonIfRunning, writeManagedBlock } from '../../nix/conf/file.js'
import { secretWorkFiles, workFiles } from '../../nix-build/work-dir.js'

/**
 * Deletes the files that hold secrets first (the builders' ssh key, root's, among them), so
 * nothing of them outlives the job whatever the restore does; then takes the block out of
 * nix.conf (`confPath`, empty when none was written) and restarts the daemon; then the rest of
 * the work directory. The action's post step and the planner end with it.
 */
export async function cleanUp(workDir: string, confPath: string, builderFiles: string[] = []): Promise<void> {
  try {
    const removed = await Promise.allSettled([
      removeBuilderFiles(builderFiles),
      ...(workDir === '' ? [] : secretWorkFiles(workFiles(workDir)).map(file => rm(file, { force: true })))
    ])
    const failed = removed.find(r => r.status === 'rejected')
    if (failed) throw failed.reason
  } finally {
    if (confPath !== '') {
      await writeManagedBlock(confPath, undefined)
      await restartDaemonIfRunning()
    }
    if (workDir !== '') await rm(workDir, { recursive: true, force: true })
  }
}
