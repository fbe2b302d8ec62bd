import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  startCachixServer,
  type CachixServerOptions,
  type LocalCacheConfig,
  type RunningCachixServer
} from '../../harness/server/cachix-server.js'

export const WRITE_TOKEN = 'test-write-token'
export const READ_TOKEN = 'test-read-token'

export async function startTestServer(
  caches: LocalCacheConfig[],
  extra: Partial<CachixServerOptions> = {}
): Promise<RunningCachixServer & { dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cachix-server-'))
  const server = await startCachixServer({ dataDir, caches, ...extra })
  return Object.assign(server, { dataDir })
}

export const FAST_RETRIES = { baseDelayMs: 20, maxDelayMs: 200, budgetMs: 10_000, maxRetryAfterMs: 300 }
