import { mkdir, mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import type { LocalCacheConfig } from '../src/server/cachix-server.js'
import { config } from './config.js'
import { exited, firstJsonLine, spawnChild } from './child.js'
import { removeTree } from './store.js'

export interface BenchServer {
  url: string
  pid: number
  dataDir: string
  cacheUrl(name: string): string
  stop(): Promise<void>
}

/**
 * A server process with a brand-new data directory, so every timed push starts from an
 * empty cache. NARs are not re-verified on completion: Nix's plain uploads never are, and
 * the two pushes should cost the server the same.
 */
export async function startBenchServer(caches: LocalCacheConfig[], prepare?: (dataDir: string) => Promise<void>): Promise<BenchServer> {
  await mkdir(config.dir, { recursive: true })
  const dataDir = await mkdtemp(join(config.dir, 'server-'))
  await prepare?.(dataDir)
  const child = await spawnChild('server-process', [JSON.stringify({ dataDir, caches, verifyNars: false })])
  let url: string
  try {
    url = (await firstJsonLine<{ url: string }>(child)).url
  } catch (error: unknown) {
    child.kill()
    await removeTree(dataDir)
    throw error
  }
  return {
    url,
    pid: child.pid ?? 0,
    dataDir,
    cacheUrl: name => `${url}/cache/${name}`,
    stop: async () => {
      child.stdin?.end()
      await exited(child)
      await removeTree(dataDir)
    }
  }
}
