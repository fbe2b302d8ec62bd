import { stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { Log } from '../util/log.js'
import { runCommand } from '../util/process.js'
import { chooseBuildDir, mayFreeDisk, removalPaths, type Filesystem } from './disk-space.js'
import { runAsRoot } from '../util/privileged.js'
import { diskRoot } from '../util/knobs.js'
import { exists } from '../util/fs.js'
import { errorMessage } from '../util/errors.js'

async function freeBytes(path: string): Promise<number> {
  const stats = await statfs(path)
  return stats.bavail * stats.bsize
}

/** Free bytes on the file system holding the Nix store (or / before Nix exists). */
export async function freeDiskBytes(): Promise<number | undefined> {
  for (const path of ['/nix/store', '/']) {
    try {
      return await freeBytes(path)
    } catch {
      // try the next
    }
  }
  return undefined
}

const GIB = 1024 ** 3

async function removeToolchains(root: string, log: Log): Promise<void> {
  const before = await freeBytes(root)
  const removed: string[] = []
  for (const path of removalPaths(root)) {
    if (!(await exists(path))) continue
    // --one-file-system: a mount inside a toolchain's directory is never followed.
    await runAsRoot('rm', ['-rf', '--one-file-system', path])
    removed.push(path)
  }
  if (root === '/') {
    const docker = await runCommand('docker', ['image', 'prune', '--all', '--force'], { okCodes: [1] }).catch(
      (error: unknown) => ({ code: 127, stderr: errorMessage(error) })
    )
    if (docker.code === 0) removed.push('docker images')
    else
      log.info(
        `free-disk-space: docker images not pruned (${docker.stderr.trim().split('\n').pop() ?? 'docker failed'})`
      )
  } else log.info(`free-disk-space: docker images are pruned only on a real runner, not under ${root}`)
  const reclaimed = Math.max(0, (await freeBytes(root)) - before)
  log.info(
    `free-disk-space: removed ${removed.join(', ') || 'nothing (none of the list is installed)'}; reclaimed ${(reclaimed / GIB).toFixed(1)} GiB, ${((await freeBytes(root)) / GIB).toFixed(1)} GiB free`
  )
}

/**
 * Starts removing the preinstalled toolchains in the background (it runs while the hosts
 * evaluate) and returns when it is done. Refuses, with a warning, anywhere but a GitHub-hosted runner.
 */
export function startDiskCleanup(env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  const allowed = mayFreeDisk(env.RUNNER_ENVIRONMENT, env.RUNNER_OS)
  if (!allowed.ok) {
    log.warning(`free-disk-space is true, but ${allowed.why}.`)
    return Promise.resolve()
  }
  const root = diskRoot(env)
  log.info(`free-disk-space: removing ${removalPaths(root).join(' ')} and unused docker images in the background`)
  return removeToolchains(root, log).catch((error: unknown) =>
    log.warning(`free-disk-space: ${errorMessage(error)}; the build goes on with the disk as it is`)
  )
}

async function filesystem(mount: string): Promise<Filesystem | undefined> {
  try {
    return { mount, device: (await stat(mount)).dev, freeBytes: await freeBytes(mount) }
  } catch {
    return undefined
  }
}

/** Nix's build-dir when another file system (/mnt) has more room than /, made 1777 for the build users. */
export async function roomiestBuildDir(env: NodeJS.ProcessEnv, log: Log): Promise<string | undefined> {
  const root = diskRoot(env)
  const rootFs = await filesystem(root)
  const mnt = await filesystem(join(root, 'mnt'))
  if (rootFs === undefined) return undefined
  const choice = chooseBuildDir(rootFs, mnt ? [mnt] : [])
  if (choice === undefined) {
    log.info(
      `free-disk-space: builds stay on the root file system (${(rootFs.freeBytes / GIB).toFixed(1)} GiB free${mnt ? `, ${mnt.mount} has ${(mnt.freeBytes / GIB).toFixed(1)} GiB` : ''})`
    )
    return undefined
  }
  await runAsRoot('chmod', ['1777', choice])
  log.info(
    `free-disk-space: Nix builds in ${choice} (${(mnt!.freeBytes / GIB).toFixed(1)} GiB free, / has ${(rootFs.freeBytes / GIB).toFixed(1)} GiB)`
  )
  return choice
}
