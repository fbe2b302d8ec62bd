/**
 * What the report asks of GitHub's REST API: how the previous run ended (for "recovered"), and the
 * move of the branch laptops follow. Both with the job's token: `actions: read` for the first,
 * `contents: write` for the second.
 */
import { previousOutcome, outcomeOf, type PreviousOutcome } from '../report/notify-when.js'
import { promotionOf, refPath, type CompareStatus, type Promotion } from '../report/promotion.js'
import type * as github from '@actions/github'
import { httpStatus } from '../github/sticky-comment.js'

type Octokit = ReturnType<typeof github.getOctokit>

export interface Repository {
  owner: string
  repo: string
}

/** How many earlier runs are looked at for one that decided something. */
const RUNS_LOOKED_AT = 30

/**
 * The outcome before this one: the previous attempt of this run when it is a re-run and that
 * attempt decided something, else the last decided run of this workflow for the same branch and event.
 */
export async function previousFleetOutcome(
  api: Octokit,
  repository: Repository,
  runId: number,
  attempt: number
): Promise<PreviousOutcome> {
  if (attempt > 1) {
    const { data } = await api.rest.actions.getWorkflowRunAttempt({
      ...repository,
      run_id: runId,
      attempt_number: attempt - 1
    })
    const outcome = outcomeOf(data.conclusion)
    if (outcome !== undefined) return outcome
  }
  const { data: run } = await api.rest.actions.getWorkflowRun({ ...repository, run_id: runId })
  const { data } = await api.rest.actions.listWorkflowRuns({
    ...repository,
    workflow_id: run.workflow_id,
    branch: run.head_branch ?? undefined,
    event: run.event,
    status: 'completed',
    per_page: RUNS_LOOKED_AT
  })
  return previousOutcome(data.workflow_runs, run.run_number)
}

export class PromotionError extends Error {}

/** Moves `ref` to `head` when that is a fast-forward (or creates it); says what it did. */
export async function promoteRef(api: Octokit, repository: Repository, ref: string, head: string): Promise<Promotion> {
  const path = refPath(ref)
  const name = path.replace(/^heads\//, '')
  try {
    let current: string | undefined
    try {
      current = (await api.rest.git.getRef({ ...repository, ref: path })).data.object.sha
    } catch (error: unknown) {
      if (httpStatus(error) !== 404) throw error
    }
    let compare: CompareStatus | undefined
    if (current !== undefined && current !== head) {
      const { data } = await api.rest.repos.compareCommitsWithBasehead({
        ...repository,
        basehead: `${current}...${head}`,
        per_page: 1
      })
      compare = data.status
    }
    const promotion = promotionOf(name, current, head, compare)
    if (promotion.action === 'create') await api.rest.git.createRef({ ...repository, ref: `refs/${path}`, sha: head })
    // force: false makes GitHub itself refuse anything but a fast-forward (422), should the branch move meanwhile.
    if (promotion.action === 'update')
      await api.rest.git.updateRef({ ...repository, ref: path, sha: head, force: false })
    return promotion
  } catch (error: unknown) {
    const status = httpStatus(error)
    if (status === 403 || status === 401)
      throw new PromotionError(
        `the token may not move ${name} (HTTP ${status}): give the report job "permissions: contents: write"`
      )
    if (status === 422)
      return {
        action: 'none',
        ref: name,
        reason: 'GitHub refused the update as not a fast-forward (it moved meanwhile)'
      }
    throw error
  }
}
