import * as github from '@actions/github'
import { pullRequestOf, type PullRequest } from '../github/pull-request.js'
import type { PullRequestComments } from '../github/sticky-comment.js'

type Octokit = ReturnType<typeof github.getOctokit>

export function currentPullRequest(): PullRequest | undefined {
  return pullRequestOf(github.context.eventName, github.context.payload, process.env.GITHUB_REPOSITORY)
}

/** GitHub's REST API at GITHUB_API_URL, with the job's token. */
export function gitHubApi(token: string): Octokit {
  return github.getOctokit(token, { baseUrl: github.context.apiUrl })
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

/** The pull request's conversation through Octokit, for the sticky comment. */
export function pullRequestComments(api: Octokit): PullRequestComments {
  const issue = (pr: PullRequest) => ({ owner: pr.owner, repo: pr.repo })
  return {
    list: async pr =>
      await api.paginate(api.rest.issues.listComments, {
        ...issue(pr),
        issue_number: pr.number,
        per_page: 100
      }),
    create: async (pr, body) =>
      (await api.rest.issues.createComment({ ...issue(pr), issue_number: pr.number, body })).data,
    update: async (pr, id, body) => {
      await api.rest.issues.updateComment({ ...issue(pr), comment_id: id, body })
    },
    get: async (pr, id) => (await api.rest.issues.getComment({ ...issue(pr), comment_id: id })).data,
    remove: async (pr, id) => {
      await api.rest.issues.deleteComment({ ...issue(pr), comment_id: id })
    }
  }
}
