export interface PullRequest {
  owner: string
  repo: string
  number: number
  baseSha: string
  headSha: string
}

/** The pull request a workflow run is for, read from the event payload; undefined for other events. */
export function pullRequestOf(
  eventName: string | undefined,
  payload: unknown,
  repository: string | undefined
): PullRequest | undefined {
  if (eventName !== 'pull_request') return undefined
  const pr = (
    payload as { pull_request?: { number?: unknown; base?: { sha?: unknown }; head?: { sha?: unknown } } } | undefined
  )?.pull_request
  const [owner, repo] = (repository ?? '').split('/')
  if (
    typeof pr?.number !== 'number' ||
    typeof pr.base?.sha !== 'string' ||
    typeof pr.head?.sha !== 'string' ||
    !owner ||
    !repo
  )
    return undefined
  return { owner, repo, number: pr.number, baseSha: pr.base.sha, headSha: pr.head.sha }
}
