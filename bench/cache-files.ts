import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** What a cache directory of the server holds: narinfo count and compressed NAR bytes. */
export async function cacheContents(dataDir: string, cache: string): Promise<{ narinfos: number; narBytes: number }> {
  const root = join(dataDir, cache)
  const narinfos = (await readdir(root)).filter(f => f.endsWith('.narinfo')).length
  let narBytes = 0
  for (const file of await readdir(join(root, 'nar'))) narBytes += (await stat(join(root, 'nar', file))).size
  return { narinfos, narBytes }
}
