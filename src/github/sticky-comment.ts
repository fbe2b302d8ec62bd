import { COMMENT_MARKER, holdsSections, mergeComment, type CommentSection } from './comment-body.js'
import type { PullRequest } from './pull-request.js'

export interface IssueComment {
  id: number
  body?: string | null
  html_url: string
}

/** The calls the sticky comment makes on a pull request's conversation (GitHub's REST API in the action). */
export interface PullRequestComments {
  /** Every comment of the pull request's conversation, all pages. */
  list(pr: PullRequest): Promise<IssueComment[]>
  create(pr: PullRequest, body: string): Promise<IssueComment>
  update(pr: PullRequest, id: number, body: string): Promise<void>
  get(pr: PullRequest, id: number): Promise<IssueComment>
  remove(pr: PullRequest, id: number): Promise<void>
}

/** The HTTP status an API call failed with, when it says. */
export function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status
  return typeof status === 'number' ? status : undefined
}

export type CommentOutcome =
  { kind: 'created' | 'updated' | 'unchanged'; url: string } | { kind: 'forbidden'; status: number }

async function ourComments(api: PullRequestComments, pr: PullRequest): Promise<IssueComment[]> {
  const all = await api.list(pr)
  return all.filter(c => (c.body ?? '').includes(COMMENT_MARKER)).sort((a, b) => a.id - b.id)
}

// Matrix legs finish close together and each rewrites the one comment; a leg whose sections
// were overwritten by another's write merges again.
const WRITE_ATTEMPTS = 4

/**
 * Creates the pull request's one closure-diff comment, or merges this run's host sections into
 * it. Answers 401/403 (no pull-requests: write) as `forbidden`; other failures throw.
 */
export async function upsertStickyComment(
  api: PullRequestComments,
  pr: PullRequest,
  fresh: CommentSection[],
  title: string
): Promise<CommentOutcome> {
  try {
    for (let attempt = 1; ; attempt++) {
      const found = await ourComments(api, pr)
      if (found.length === 0) {
        const created = await api.create(pr, mergeComment(undefined, fresh, title))
        const after = await ourComments(api, pr)
        // Two legs both found none and both created one: the older stays, with both legs' sections.
        if (after.length > 1 && after[0].id !== created.id) {
          await api.remove(pr, created.id)
          continue
        }
        return { kind: 'created', url: created.html_url }
      }
      const [comment] = found
      const body = mergeComment(comment.body ?? '', fresh, title)
      if (body === comment.body) return { kind: 'unchanged', url: comment.html_url }
      await api.update(pr, comment.id, body)
      const written = await api.get(pr, comment.id)
      if (holdsSections(written.body ?? '', fresh) || attempt >= WRITE_ATTEMPTS)
        return { kind: 'updated', url: comment.html_url }
    }
  } catch (error: unknown) {
    const status = httpStatus(error)
    if (status === 401 || status === 403) return { kind: 'forbidden', status }
    throw error
  }
}
