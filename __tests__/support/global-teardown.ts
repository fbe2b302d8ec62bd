import { rm } from 'node:fs/promises'

/** Removes the run's temporary directory (see global-setup.ts) and gives TMPDIR back. */
export default async function closeRunTempDir(): Promise<void> {
  const dir = process.env.TMPDIR
  const base = process.env.NIX_CACHIX_BUILD_TESTS_TMPDIR_BASE
  if (dir === undefined || base === undefined) return
  process.env.TMPDIR = base
  delete process.env.NIX_CACHIX_BUILD_TESTS_TMPDIR_BASE
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 2 })
  } catch (error: unknown) {
    // Seen only while something still runs in it; the next run removes it.
    console.warn(`could not remove the tests' temporary directory ${dir}: ${String(error)}`)
  }
}
