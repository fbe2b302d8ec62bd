/**
 * The routes of GitHub's REST API that the report uses, for one repository, as GitHub answers them:
 * workflow runs and their attempts, git refs (a non-forced update must be a fast-forward, or 422),
 * and compare (status from the commit graph the test gives). A token without `actions: read` or
 * `contents: write` gets GitHub's 403.
 */
import { listen, readJsonBody, sendJson, type Listening } from './http-stand-in.js'

export interface StandInRun {
  id: number
  workflow_id: number
  run_number: number
  run_attempt: number
  head_branch: string
  head_sha: string
  event: string
  status: 'queued' | 'in_progress' | 'completed'
  conclusion: string | null
  /** Conclusions of earlier attempts, by attempt number. */
  attempts?: Record<number, string>
}

/** Run `id` of one workflow, on a push to main at `head`, in progress unless `more` says otherwise. */
export function pushRun(id: number, head: string, more: Partial<StandInRun> = {}): StandInRun {
  return {
    id,
    workflow_id: 1,
    run_number: id,
    run_attempt: 1,
    head_branch: 'main',
    head_sha: head,
    event: 'push',
    status: 'in_progress',
    conclusion: null,
    ...more
  }
}

export interface GitHubRepoStandIn extends Listening {
  /** Every request, in order. */
  requests: { method: string; path: string; authorization?: string; body?: Record<string, unknown> }[]
  /** sha → parent shas. */
  commits: Map<string, string[]>
  /** Full ref name (refs/heads/cached) → sha. */
  refs: Map<string, string>
  runs: StandInRun[]
  permissions: { actionsRead: boolean; contentsWrite: boolean }
}

const FORBIDDEN = {
  message: 'Resource not accessible by integration',
  documentation_url: 'https://docs.github.com/rest'
}
const RUN_STATUSES = new Set(['queued', 'in_progress', 'completed', 'requested', 'waiting', 'pending'])

export async function startGitHubRepoApi(repository: string): Promise<GitHubRepoStandIn> {
  const requests: GitHubRepoStandIn['requests'] = []
  const commits = new Map<string, string[]>()
  const refs = new Map<string, string>()
  const runs: StandInRun[] = []
  const permissions = { actionsRead: true, contentsWrite: true }
  const prefix = `/repos/${repository}`

  const ancestors = (sha: string): Set<string> => {
    const seen = new Set<string>()
    const stack = [sha]
    while (stack.length > 0) {
      const next = stack.pop()!
      if (seen.has(next)) continue
      seen.add(next)
      stack.push(...(commits.get(next) ?? []))
    }
    return seen
  }
  const runJson = (run: StandInRun, attempt = run.run_attempt): Record<string, unknown> => ({
    ...run,
    attempts: undefined,
    run_attempt: attempt,
    conclusion: attempt === run.run_attempt ? run.conclusion : (run.attempts?.[attempt] ?? null),
    status: attempt === run.run_attempt ? run.status : 'completed',
    html_url: `https://github.com/${repository}/actions/runs/${run.id}`
  })
  const refJson = (ref: string): Record<string, unknown> => ({
    ref,
    object: { sha: refs.get(ref), type: 'commit' }
  })

  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const method = req.method ?? 'GET'
    const body = method === 'POST' || method === 'PATCH' ? await readJsonBody(req) : undefined
    requests.push({ method, path: `${url.pathname}${url.search}`, authorization: req.headers.authorization, body })
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : undefined
    const notFound = (): void =>
      sendJson(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' })
    if (path === undefined) return notFound()

    let m: RegExpExecArray | null
    if (path.startsWith('/actions/') && !permissions.actionsRead) return sendJson(res, 403, FORBIDDEN)
    if ((m = /^\/actions\/runs\/(\d+)(?:\/attempts\/(\d+))?$/.exec(path)) && method === 'GET') {
      const run = runs.find(r => r.id === Number(m![1]))
      const attempt = m[2] === undefined ? undefined : Number(m[2])
      if (run === undefined || (attempt !== undefined && (attempt < 1 || attempt > run.run_attempt))) return notFound()
      return sendJson(res, 200, runJson(run, attempt))
    }
    if ((m = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(path)) && method === 'GET') {
      const workflow = Number(m[1])
      const branch = url.searchParams.get('branch')
      const event = url.searchParams.get('event')
      const status = url.searchParams.get('status')
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30))
      const page = Number(url.searchParams.get('page') ?? 1)
      const matching = runs
        .filter(r => r.workflow_id === workflow)
        .filter(r => branch === null || r.head_branch === branch)
        .filter(r => event === null || r.event === event)
        .filter(r => status === null || (RUN_STATUSES.has(status) ? r.status === status : r.conclusion === status))
        .sort((a, b) => b.run_number - a.run_number)
      return sendJson(res, 200, {
        total_count: matching.length,
        workflow_runs: matching.slice((page - 1) * perPage, page * perPage).map(r => runJson(r))
      })
    }
    // Octokit sends the ref's slashes as %2F (GitHub decodes them).
    if ((m = /^\/git\/ref\/(.+)$/.exec(path)) && method === 'GET') {
      const ref = `refs/${decodeURIComponent(m[1])}`
      return refs.has(ref) ? sendJson(res, 200, refJson(ref)) : notFound()
    }
    if (path === '/git/refs' && method === 'POST') {
      if (!permissions.contentsWrite) return sendJson(res, 403, FORBIDDEN)
      const ref = String(body?.ref)
      const sha = String(body?.sha)
      if (!/^refs\/.+\/.+/.test(ref)) return sendJson(res, 422, { message: 'Reference name is invalid' })
      if (!commits.has(sha)) return sendJson(res, 422, { message: 'Object does not exist' })
      if (refs.has(ref)) return sendJson(res, 422, { message: 'Reference already exists' })
      refs.set(ref, sha)
      return sendJson(res, 201, refJson(ref))
    }
    if ((m = /^\/git\/refs\/(.+)$/.exec(path)) && method === 'PATCH') {
      if (!permissions.contentsWrite) return sendJson(res, 403, FORBIDDEN)
      const ref = `refs/${decodeURIComponent(m[1])}`
      const sha = String(body?.sha)
      const current = refs.get(ref)
      if (current === undefined) return sendJson(res, 422, { message: 'Reference does not exist' })
      if (!commits.has(sha)) return sendJson(res, 422, { message: 'Object does not exist' })
      if (body?.force !== true && !ancestors(sha).has(current))
        return sendJson(res, 422, { message: 'Update is not a fast forward' })
      refs.set(ref, sha)
      return sendJson(res, 200, refJson(ref))
    }
    if ((m = /^\/compare\/([0-9a-f]+)\.\.\.([0-9a-f]+)$/.exec(path)) && method === 'GET') {
      const [base, head] = [m[1], m[2]]
      if (!commits.has(base) || !commits.has(head)) return notFound()
      const headSide = ancestors(head)
      const baseSide = ancestors(base)
      const aheadBy = [...headSide].filter(c => !baseSide.has(c)).length
      const behindBy = [...baseSide].filter(c => !headSide.has(c)).length
      const status =
        aheadBy === 0 && behindBy === 0 ? 'identical' : behindBy === 0 ? 'ahead' : aheadBy === 0 ? 'behind' : 'diverged'
      // The nearest common ancestor, breadth first from the head.
      const queue = [head]
      let mergeBase: string | undefined
      while (mergeBase === undefined && queue.length > 0) {
        const next = queue.shift()!
        if (baseSide.has(next)) mergeBase = next
        else queue.push(...(commits.get(next) ?? []))
      }
      return sendJson(res, 200, {
        status,
        ahead_by: aheadBy,
        behind_by: behindBy,
        total_commits: aheadBy,
        base_commit: { sha: base },
        merge_base_commit: { sha: mergeBase },
        commits: [],
        files: []
      })
    }
    notFound()
  })
  return Object.assign(server, { requests, commits, refs, runs, permissions })
}
