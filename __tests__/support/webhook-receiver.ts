/**
 * Local stand-ins for the webhooks the report notifies, each refusing what the real service
 * documents it refuses:
 * - Discord (Execute Webhook): `content` of at most 2,000 characters, and content or embeds
 *   present; 400 with Discord's error body otherwise, 204 when posted.
 * - Slack (incoming webhook): text or blocks present, at most 50 blocks, a section's text at most
 *   3,000 characters; 400 `no_text` / `invalid_blocks` otherwise, 200 `ok` when posted.
 * - Any other receiver: 200 for any JSON.
 * Lengths are counted in code points, as the services count characters.
 */
import { listen, readBody, sendJson, type Listening } from './http-stand-in.js'

export type ReceiverFormat = 'discord' | 'slack' | 'json'

export interface Received {
  format: ReceiverFormat
  body: unknown
  /** What the receiver answered. */
  status: number
}

export interface WebhookReceiver extends Listening {
  /** A webhook URL of each shape on this server. */
  urls: Record<ReceiverFormat, string>
  received: Received[]
  /** Answers this many requests with 500 (a service down) before accepting again. */
  failNext: number
}

const chars = (text: string): number => [...text].length

function discordProblem(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const content = typeof body.content === 'string' ? body.content : ''
  const embeds = Array.isArray(body.embeds) ? body.embeds : []
  if (content === '' && embeds.length === 0) return { code: 50006, message: 'Cannot send an empty message' }
  if (chars(content) > 2000)
    return {
      code: 50035,
      message: 'Invalid Form Body',
      errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } }
    }
  return undefined
}

function slackProblem(body: Record<string, unknown>): string | undefined {
  const blocks = Array.isArray(body.blocks) ? (body.blocks as Record<string, unknown>[]) : []
  if (typeof body.text !== 'string' && blocks.length === 0) return 'no_text'
  if (blocks.length > 50) return 'invalid_blocks'
  for (const block of blocks) {
    const text = (block.text as Record<string, unknown> | undefined)?.text
    if (block.type === 'section' && (typeof text !== 'string' || chars(text) > 3000)) return 'invalid_blocks'
  }
  return undefined
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = []
  // The handler reads failNext from the object the test holds.
  const state = { received, failNext: 0 }
  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const format: ReceiverFormat | undefined = url.pathname.startsWith('/api/webhooks/')
      ? 'discord'
      : url.pathname.startsWith('/services/')
        ? 'slack'
        : url.pathname === '/hook'
          ? 'json'
          : undefined
    if (req.method !== 'POST' || format === undefined) return sendJson(res, 404, { message: 'Unknown Webhook' })
    const text = (await readBody(req)).toString('utf8')
    const record = (status: number, body: unknown): void => void received.push({ format, body, status })
    if (state.failNext > 0) {
      state.failNext--
      record(500, text)
      return sendJson(res, 500, { message: 'Internal Server Error' })
    }
    let body: Record<string, unknown>
    try {
      body = JSON.parse(text) as Record<string, unknown>
    } catch {
      record(400, text)
      return sendJson(res, 400, { code: 50109, message: 'The request body contains invalid JSON.' })
    }
    if (format === 'discord') {
      const problem = discordProblem(body)
      record(problem ? 400 : 204, body)
      if (problem) return sendJson(res, 400, problem)
      res.writeHead(204).end()
      return
    }
    if (format === 'slack') {
      const problem = slackProblem(body)
      record(problem ? 400 : 200, body)
      res.writeHead(problem ? 400 : 200, { 'Content-Type': 'text/plain' }).end(problem ?? 'ok')
      return
    }
    record(200, body)
    sendJson(res, 200, { ok: true })
  })
  return Object.assign(state, server, {
    urls: {
      discord: `${server.url}/api/webhooks/123456/secret-token`,
      slack: `${server.url}/services/T000/B000/secret-token`,
      json: `${server.url}/hook`
    }
  })
}
