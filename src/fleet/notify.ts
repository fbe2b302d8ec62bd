/**
 * Posts a notification. Its URL is a secret (a webhook's token is in its path): no message here
 * names more of it than its host. A failed delivery is the caller's warning, never a failed job.
 */
import { isRetryableStatus, parseRetryAfter } from '../cachix/retry-policy.js'
import { sleep } from '../util/async.js'
import { errorMessage } from '../util/errors.js'

export interface Delivery {
  ok: boolean
  /** Why not, when not ok: one line, without the URL's secret parts. */
  problem?: string
}

/** How long one attempt may take, and how long a service's Retry-After is honoured. */
const ATTEMPT_MS = 15_000
const MAX_RETRY_AFTER_MS = 10_000

function retryAfterMs(response: Response): number {
  const asked = parseRetryAfter(response.headers.get('retry-after'), Date.now())
  return Math.min(MAX_RETRY_AFTER_MS, asked !== undefined && asked > 0 ? asked : 1000)
}

/** POSTs the JSON payload; one more try after a 429, a 5xx or no answer. */
export async function postNotification(url: string, payload: unknown, attempts = 2): Promise<Delivery> {
  const where = new URL(url).host
  let problem = ''
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'nix-cachix-build' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(ATTEMPT_MS)
      })
      if (response.ok) return { ok: true }
      const text = (await response.text()).replace(/\s+/g, ' ').slice(0, 200)
      problem = `${where} answered HTTP ${response.status}${text === '' ? '' : ` (${text})`}`
      if (!isRetryableStatus(response.status)) break
      if (attempt < attempts) await sleep(retryAfterMs(response))
    } catch (error: unknown) {
      // fetch's messages name no URL, but an abort's cause might: keep the host only.
      problem = `${where} did not answer: ${errorMessage(error).split(url).join(where)}`
    }
  }
  return { ok: false, problem }
}
