import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { LocalCacheConfig } from '../harness/server/cachix-server.js'
import { config } from './config.js'
import { exited, firstJsonLine, spawnChild } from './child.js'
import { removeTree } from './store.js'

export type TargetKind = 'local' | 'null'

export interface BenchServer {
  kind: TargetKind
  url: string
  pid: number
  dataDir: string
  cacheUrl(name: string): string
  /** Store paths the cache received in full: narinfos written (local) or uploads completed / narinfos PUT (null). */
  pathsReceived(cache: string): Promise<number>
  stop(): Promise<void>
}

/**
 * A server process with a brand-new data directory, so every cache in it starts empty. NARs
 * are not re-verified on completion: Nix's plain uploads never are, and the two pushes
 * should cost the server the same.
 */
export async function startBenchServer(
  caches: LocalCacheConfig[],
  prepare?: (dataDir: string) => Promise<void>
): Promise<BenchServer> {
  await mkdir(config.dir, { recursive: true })
  const dataDir = await mkdtemp(join(config.dir, 'server-'))
  await prepare?.(dataDir)
  const optionsFile = `${dataDir}.options.json`
  await writeFile(optionsFile, JSON.stringify({ dataDir, caches, verifyNars: false }))
  const child = await spawnChild('server-process', [`@${optionsFile}`])
  let url: string
  try {
    url = (await firstJsonLine<{ url: string }>(child)).url
  } catch (error: unknown) {
    child.kill()
    await removeTree(dataDir)
    await rm(optionsFile, { force: true })
    throw error
  }
  return {
    kind: 'local',
    url,
    pid: child.pid ?? 0,
    dataDir,
    cacheUrl: name => `${url}/cache/${name}`,
    pathsReceived: async cache =>
      (await readdir(join(dataDir, cache)).catch(() => [] as string[])).filter(f => f.endsWith('.narinfo')).length,
    stop: async () => {
      child.stdin?.end()
      await exited(child)
      await removeTree(dataDir)
      await rm(optionsFile, { force: true })
    }
  }
}

interface NullCounts {
  completed: number
  narinfoPuts: number
  aborted: number
  bytes: number
}

/** The null target (bench/null-server.ts) in its own process: accepts everything, keeps nothing. */
export async function startNullTarget(): Promise<BenchServer> {
  await mkdir(config.dir, { recursive: true })
  const dataDir = await mkdtemp(join(config.dir, 'null-'))
  const child = await spawnChild('null-server', [])
  const url = (await firstJsonLine<{ url: string }>(child)).url
  return {
    kind: 'null',
    url,
    pid: child.pid ?? 0,
    dataDir,
    cacheUrl: name => `${url}/cache/${name}`,
    pathsReceived: async cache => {
      const stats = (await (await fetch(`${url}/stats`)).json()) as Record<string, NullCounts>
      const c = stats[cache]
      return c ? c.completed + c.narinfoPuts : 0
    },
    stop: async () => {
      child.stdin?.end()
      await exited(child)
      await removeTree(dataDir)
    }
  }
}

export function startTarget(kind: TargetKind, caches: LocalCacheConfig[]): Promise<BenchServer> {
  return kind === 'local' ? startBenchServer(caches) : startNullTarget()
}
