import * as core from '@actions/core'
import { get as httpGet } from 'node:http'
import { get as httpsGet } from 'node:https'
import type { Finding } from '../../report/finding.js'
import { mergeHostCaches, probeSubstituters, type HostCaches, type Probe } from '../../nix/substituters.js'
import { errorMessage } from '../../util/errors.js'

/**
 * GET of a cache's /nix-cache-info: undefined when it answered 200 within the time, else why not.
 * node:http rather than fetch, which refuses ports such as 6000 or 9 that Nix happily uses.
 */
export const probeCacheInfo: Probe = (url, timeoutMs) =>
  new Promise(resolve => {
    const get = url.startsWith('https:') ? httpsGet : httpGet
    const request = get(url, { timeout: timeoutMs }, response => {
      response.resume()
      resolve(response.statusCode === 200 ? undefined : `it answered HTTP ${response.statusCode}`)
    })
    const timer = setTimeout(() => {
      resolve(`no answer within ${timeoutMs / 1000} s`)
      request.destroy()
    }, timeoutMs)
    request.on('close', () => clearTimeout(timer))
    request.on('error', (error: unknown) => {
      const { code, message } = (error ?? {}) as { code?: string; message?: string }
      resolve(`it could not be reached (${code ?? message ?? errorMessage(error)})`)
    })
  })

/** Seconds a host substituter gets to answer before the job goes on without it. */
const PROBE_TIMEOUT_MS = 5000

/**
 * The hosts' substituters this job can use: merged, then probed all at once. One that does not
 * answer (a tailnet-only cache, say) is dropped with a notice naming it, so no build waits on it.
 */
export async function reachableHostCaches(
  hosts: HostCaches[],
  alreadyUsed: string[],
  findings: Finding[],
  probe: Probe = probeCacheInfo
): Promise<HostCaches> {
  const merged = mergeHostCaches(hosts, alreadyUsed)
  if (merged.substituters.length === 0) return merged
  const started = Date.now()
  const outcome = await probeSubstituters(merged.substituters, PROBE_TIMEOUT_MS, probe)
  for (const [url, reason] of outcome.dropped) {
    const message = `host substituter ${url} is not used by this job: ${reason} at /nix-cache-info`
    core.notice(message)
    findings.push({ level: 'notice', message, announced: true })
  }
  core.info(
    `Host substituters: ${outcome.reachable.join(' ') || 'none'} (probed ${merged.substituters.length} in ${((Date.now() - started) / 1000).toFixed(1)} s)`
  )
  return { substituters: outcome.reachable, trustedPublicKeys: merged.trustedPublicKeys }
}
