import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Every temporary directory the tests make (jobs, fresh stores, flakes, servers' data) goes under
// one directory per run, which global-teardown.ts removes: left in /tmp, a full run's few GB of
// stores filled a developer's disk within a day. A run killed before its end leaves its directory;
// a later run removes it once the process that made it is gone. Jest loads this file on its own,
// so it imports nothing of the project.

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** TMPDIR becomes this run's directory, for the tests and every program they start. */
export default async function openRunTempDir(): Promise<void> {
  const base = tmpdir()
  for (const name of await readdir(base)) {
    const owner = Number(/^nix-cachix-build-tests-(\d+)-/.exec(name)?.[1])
    if (Number.isInteger(owner) && owner !== process.pid && !alive(owner))
      await rm(join(base, name), { recursive: true, force: true }).catch(() => undefined)
  }
  const dir = await mkdtemp(join(base, `nix-cachix-build-tests-${process.pid}-`))
  // As /tmp is: the runner user's steps and the daemon's chroot write here too.
  await chmod(dir, 0o1777)
  process.env.NIX_CACHIX_BUILD_TESTS_TMPDIR_BASE = base
  process.env.TMPDIR = dir
}
