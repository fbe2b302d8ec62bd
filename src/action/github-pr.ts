import * as github from '@actions/github'
import { COMMENT_MARKER, holdsSections, mergeComment, type CommentSection } from '../github/comment-body.js'
import { pullRequestOf, type PullRequest } from '../github/pull-request.js'

type Octokit = ReturnType<typeof github.getOctokit>

export function currentPullRequest(): PullRequest | undefined {
  return pullRequestOf(github.context.eventName, github.context.payload, process.env.GITHUB_REPOSITORY)
}

/** GitHub's REST API at GITHUB_API_URL, with the job's token. */
export function gitHubApi(token: string): Octokit {
  return github.getOctokit(token, { baseUrl: github.context.apiUrl })
}

export function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status
  return typeof status === 'number' ? status : undefined
}

/** The merge base of the pull request's base and head, as GitHub's compare API reports it. */
export async function mergeBaseFromApi(api: Octokit, pr: PullRequest): Promise<string> {
  const { data } = await api.rest.repos.compareCommitsWithBasehead({
    owner: pr.owner,
    repo: pr.repo,
    basehead: `${pr.baseSha}...${pr.headSha}`,
    per_page: 1
  })
  return data.merge_base_commit.sha
}

export type CommentOutcome =
  { kind: 'created' | 'updated' | 'unchanged'; url: string } | { kind: 'forbidden'; status: number }

interface Comment {
  id: number
  body?: string | null
  html_url: string
}

async function ourComments(api: Octokit, pr: PullRequest): Promise<Comment[]> {
  const all = await api.paginate(api.rest.issues.listComments, {
    owner: pr.owner,
    repo: pr.repo,
    issue_number: pr.number,
    per_page: 100
  })
  return (all as Comment[]).filter(c => (c.body ?? '').includes(COMMENT_MARKER)).sort((a, b) => a.id - b.id)
}

// Matrix legs finish close together and each rewrites the one comment; a leg whose sections
// were overwritten by another's write merges again.
const WRITE_ATTEMPTS = 4

/**
 * Creates the pull request's one closure-diff comment, or merges this run's host sections into
 * it. Answers 401/403 (no pull-requests: write) as `forbidden`; other failures throw.
 */
export async function upsertStickyComment(
  api: Octokit,
  pr: PullRequest,
  fresh: CommentSection[],
  title: string
): Promise<CommentOutcome> {
  try {
    for (let attempt = 1; ; attempt++) {
      const found = await ourComments(api, pr)
      if (found.length === 0) {
        const { data } = await api.rest.issues.createComment({
          owner: pr.owner,
          repo: pr.repo,
          issue_number: pr.number,
          body: mergeComment(undefined, fresh, title)
        })
        const after = await ourComments(api, pr)
        // Two legs both found none and both created one: the older stays, with both legs' sections.
        if (after.length > 1 && after[0].id !== data.id) {
          await api.rest.issues.deleteComment({ owner: pr.owner, repo: pr.repo, comment_id: data.id })
          continue
        }
        return { kind: 'created', url: data.html_url }
      }
      const [comment] = found
      const body = mergeComment(comment.body ?? '', fresh, title)
      if (body === comment.body) return { kind: 'unchanged', url: comment.html_url }
      await api.rest.issues.updateComment({ owner: pr.owner, repo: pr.repo, comment_id: comment.id, body })
      const { data: written } = await api.rest.issues.getComment({
        owner: pr.owner,
        repo: pr.repo,
        comment_id: comment.id
      })
      if (holdsSections(written.body ?? '', fresh) || attempt >= WRITE_ATTEMPTS)
        return { kind: 'updated', url: comment.html_url }
    }
  } catch (error: unknown) {
    const status = httpStatus(error)
    if (status === 401 || status === 403) return { kind: 'forbidden', status }
    throw error
  }
}
