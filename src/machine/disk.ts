import { statfs } from 'node:fs/promises'

/** Free bytes on the file system holding the Nix store (or / before Nix exists). */
export async function freeDiskBytes(): Promise<number | undefined> {
  for (const path of ['/nix/store', '/']) {
    try {
      const stats = await statfs(path)
      return stats.bavail * stats.bsize
    } catch {
      // try the next
    }
  }
  return undefined
}
