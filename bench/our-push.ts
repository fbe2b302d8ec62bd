import { exited, firstJsonLine, spawnChild, withDeadline } from './child.js'
import { config } from './config.js'
import type { PushOneResult } from './push-one.js'
import { watchRss, type PeakRss } from './rss.js'

export interface OurPush extends PushOneResult {
  /** Only when sampled: sampling costs CPU, so timed runs on a small machine go without. */
  tree?: PeakRss
}

export interface OurPushOptions {
  /** Node binary the pusher runs under. */
  node: string
  /** Environment of the pusher: which Nix is on PATH, where its store's files are. */
  env: NodeJS.ProcessEnv
  sampleRss?: boolean
}

/**
 * Our push of `roots` in a child process, its process tree's RSS sampled from here if asked.
 * Paths that failed are returned, not thrown: the caller reports them and marks the run invalid.
 */
export async function runOurPush(
  baseUrl: string,
  cacheName: string,
  roots: string[],
  options: OurPushOptions
): Promise<OurPush> {
  const child = await spawnChild('push-one', [baseUrl, cacheName, ...roots], {
    node: options.node,
    env: options.env,
    group: true
  })
  child.stdin?.end()
  const watcher = options.sampleRss ? watchRss(child.pid ?? 0) : undefined
  try {
    const done = (async () => {
      const result = await firstJsonLine<PushOneResult>(child)
      const code = await exited(child)
      if (code !== 0) throw new Error(`push-one exited with code ${code}`)
      return result
    })()
    const result = await withDeadline(child, config.deadlineMs, 'our push', done)
    return { ...result, tree: watcher?.stop() }
  } finally {
    watcher?.stop()
  }
}
