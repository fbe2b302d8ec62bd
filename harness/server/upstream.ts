/**
 * Cachix's upstream filtering: what cache.nixos.org has "counts as existing upstream and won't be
 * present in cachix". Such a path is present to the bulk query (and so never pushed), while GET and
 * HEAD narinfo, on the API and on the binary cache, answer 404: the cache holds only what was pushed.
 * A cache's upstream is a fixed set of hashes, a binary cache asked over HTTP (as cachix.org asks
 * cache.nixos.org), or both.
 */
import { request } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { mapLimit } from '../../src/util/async.js'

/** Upstream narinfo requests in flight at once, per bulk query. */
const UPSTREAM_LOOKUPS = 16
const UPSTREAM_TIMEOUT_MS = 10_000

export class Upstream {
  /** Hashes known present upstream: the fixed ones, and what the upstream cache said it has (remembered, as Cachix caches upstream answers). */
  private readonly present: Set<string>

  constructor(
    hashes: string[] = [],
    private readonly url?: string,
    private readonly log: (line: string) => void = () => undefined
  ) {
    this.present = new Set(hashes)
  }

  /** Which of `hashes` the upstream has. */
  async has(hashes: string[]): Promise<Set<string>> {
    const found = new Set(hashes.filter(hash => this.present.has(hash)))
    const url = this.url
    if (url === undefined) return found
    const ask = [...new Set(hashes.filter(hash => !found.has(hash)))]
    const answers = await mapLimit(ask, UPSTREAM_LOOKUPS, hash => this.narinfoExists(url, hash))
    ask.forEach((hash, i) => {
      if (!answers[i]) return
      this.present.add(hash)
      found.add(hash)
    })
    return found
  }

  /** HEAD <url>/<hash>.narinfo; an upstream that does not answer has nothing. */
  private narinfoExists(url: string, hash: string): Promise<boolean> {
    const target = new URL(`${url.replace(/\/+$/, '')}/${hash}.narinfo`)
    return new Promise(resolve => {
      const req = (target.protocol === 'https:' ? httpsRequest : request)(
        target,
        { method: 'HEAD', timeout: UPSTREAM_TIMEOUT_MS },
        response => {
          response.resume()
          resolve(response.statusCode === 200)
        }
      )
      req.on('timeout', () => req.destroy(new Error('timed out')))
      req.on('error', error => {
        this.log(`upstream ${url} did not answer for ${hash}: ${error.message}`)
        resolve(false)
      })
      req.end()
    })
  }
}
