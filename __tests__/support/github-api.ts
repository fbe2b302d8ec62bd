import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StandInComment {
  id: number
  body: string
  html_url: string
  updated: number
}

export interface GitHubStandIn {
  url: string
  comments: StandInComment[]
  /** Method and path of every request, in order. */
  requests: { method: string; path: string; authorization?: string }[]
  /** Writes (create, update, delete) answer 403 as for a token without pull-requests: write. */
  forbidWrites: boolean
  /** What the compare API reports as the merge base. */
  mergeBase?: string
  close(): Promise<void>
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = ''
  for await (const chunk of req) text += String(chunk)
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
}

/** The few routes of GitHub's REST API that the closure diff uses, for one repository's pull requests. */
export async function startGitHubStandIn(repository: string, pullNumber: number): Promise<GitHubStandIn> {
  let nextId = 1000
  const state: Omit<GitHubStandIn, 'url' | 'close'> = { comments: [], requests: [], forbidWrites: false }
  const issue = `/repos/${repository}/issues/${pullNumber}/comments`
  const single = new RegExp(`^/repos/${repository}/issues/comments/(\\d+)$`)
  const compare = new RegExp(`^/repos/${repository}/compare/([0-9a-f]+)\\.\\.\\.([0-9a-f]+)$`)
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const method = req.method ?? 'GET'
    state.requests.push({ method, path: url.pathname, authorization: req.headers.authorization })
    const forbidden = (): void =>
      send(res, 403, {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest'
      })
    void (async () => {
      if (url.pathname === issue && method === 'GET')
        return send(
          res,
          200,
          state.comments.map(c => ({ id: c.id, body: c.body, html_url: c.html_url }))
        )
      if (url.pathname === issue && method === 'POST') {
        if (state.forbidWrites) return forbidden()
        const { body } = await readJson(req)
        const comment = {
          id: nextId++,
          body: String(body),
          html_url: `https://github.com/${repository}/pull/${pullNumber}#issuecomment-${nextId}`,
          updated: Date.now()
        }
        state.comments.push(comment)
        return send(res, 201, { id: comment.id, body: comment.body, html_url: comment.html_url })
      }
      const one = single.exec(url.pathname)
      if (one) {
        const comment = state.comments.find(c => c.id === Number(one[1]))
        if (comment === undefined) return send(res, 404, { message: 'Not Found' })
        if (method === 'GET') return send(res, 200, { id: comment.id, body: comment.body, html_url: comment.html_url })
        if (state.forbidWrites) return forbidden()
        if (method === 'PATCH') {
          comment.body = String((await readJson(req)).body)
          comment.updated = Date.now()
          return send(res, 200, { id: comment.id, body: comment.body, html_url: comment.html_url })
        }
        if (method === 'DELETE') {
          state.comments.splice(state.comments.indexOf(comment), 1)
          res.writeHead(204).end()
          return
        }
      }
      const range = compare.exec(url.pathname)
      if (range && method === 'GET' && state.mergeBase !== undefined)
        return send(res, 200, {
          merge_base_commit: { sha: state.mergeBase },
          base_commit: { sha: range[1] },
          commits: [],
          files: []
        })
      send(res, 404, { message: `Not Found: ${method} ${url.pathname}` })
    })().catch((error: unknown) => send(res, 500, { message: String(error) }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>(resolve => server.close(() => resolve()))
  })
}
