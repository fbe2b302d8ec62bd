import { exited, firstJsonLine, spawnChild } from './child.js'
import type { PushOneResult } from './push-one.js'
import { watchRss, type PeakRss } from './rss.js'

export interface OurPush extends PushOneResult {
  /** Only when sampled: sampling costs CPU, so timed runs on a small machine go without. */
  tree?: PeakRss
}

/**
 * Our push of `roots` in a child process, its process tree's RSS sampled from here if asked.
 * Paths that failed are returned, not thrown: the caller reports them and marks the run invalid.
 */
export async function runOurPush(baseUrl: string, cacheName: string, roots: string[], sampleRss = false): Promise<OurPush> {
  const child = await spawnChild('push-one', [baseUrl, cacheName, ...roots])
  child.stdin?.end()
  const watcher = sampleRss ? watchRss(child.pid ?? 0) : undefined
  try {
    const result = await firstJsonLine<PushOneResult>(child)
    const code = await exited(child)
    if (code !== 0) throw new Error(`push-one exited with code ${code}`)
    return { ...result, tree: watcher?.stop() }
  } finally {
    watcher?.stop()
  }
}
