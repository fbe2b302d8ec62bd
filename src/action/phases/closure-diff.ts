import * as core from '@actions/core'
import {
  flakeAtCommit,
  localGitFlake,
  localMergeBase,
  resolveCommit,
  toplevelsAt,
  type GitFlake
} from '../../diff/base-revision.js'
import type { DiffBase } from '../../diff/base-input.js'
import { SharedCacheLookups, type CacheLookups } from '../../cachix/closure-walk.js'
import { configuredSubstituterNarInfos } from '../../cachix/substituter-narinfos.js'
import type { LocalStore } from '../../diff/local-closure.js'
import type { CommentSection } from '../../github/comment-body.js'
import { upsertStickyComment } from '../../github/sticky-comment.js'
import { currentPullRequest, gitHubApi, mergeBaseFromApi, pullRequestComments } from '../github-api.js'
import { diffHost } from '../../diff/host-diff.js'
import type { PullRequest } from '../../github/pull-request.js'
import { diffJson, renderHostMarkdown, renderHostText, renderSummaryMarkdown } from '../../diff/render.js'
import type { HostDiff } from '../../diff/types.js'
import type { HostResult } from '../../report/summary.js'
import { Output } from '../constants.js'
import type { Inputs } from '../inputs.js'
import type { CacheSetup } from './cachix.js'
import type { Run } from './run.js'
import { STEP_LOG } from './step-log.js'
import { errorMessage } from '../../util/errors.js'

const COMMENT_TITLE = '## Closure diff per host'

interface DiffPhase {
  flake: string
  diffBase: DiffBase
  comment: boolean
  githubToken?: string
  cacheName: string
  cache: CacheLookups
  /** The cache's own binary-cache URL (it lacks upstream paths, so it is not asked as a substituter). */
  cacheUri: string
  /** Tokens of private pull caches by host, for their narinfos. */
  credentials: { host: string; password: string }[]
  store: LocalStore
  /** This leg's hosts and their head toplevels. */
  hosts: { id: string; toplevel: string }[]
  env: NodeJS.ProcessEnv
}

interface Base {
  label: string
  toplevels: Record<string, string>
}

/**
 * The merge base of the pull request. A shallow checkout (actions/checkout's default) has no
 * history to find it, and a partial one can hide it behind an older common ancestor, so then
 * GitHub's compare API answers.
 */
async function mergeBase(phase: DiffPhase, git: GitFlake, pr: PullRequest): Promise<string> {
  if (!git.shallow) {
    const base = await resolveCommit(git, pr.baseSha, phase.env)
    const head = await resolveCommit(git, pr.headSha, phase.env)
    const found = await localMergeBase(git, base, head, phase.env)
    if (found !== undefined) return found
  }
  if (phase.githubToken === undefined)
    throw new Error(
      'the checkout is shallow and there is no github-token to ask GitHub for the merge base: check out with fetch-depth: 0'
    )
  return mergeBaseFromApi(gitHubApi(phase.githubToken), pr)
}

async function evaluatedBase(phase: DiffPhase, pr: PullRequest | undefined): Promise<Base | undefined> {
  const { diffBase } = phase
  if (diffBase.kind === 'off') return undefined
  if (diffBase.kind === 'toplevels') return { label: 'the toplevels given in diff-base', toplevels: diffBase.toplevels }
  if (diffBase.kind === 'auto' && pr === undefined) {
    core.info('diff-base is auto and this is not a pull_request event: no closure diff.')
    return undefined
  }
  const git = await localGitFlake(phase.flake, phase.env)
  if (git === undefined)
    throw new Error(
      `${phase.flake} is not a local git checkout, so its base cannot be evaluated here: give diff-base the toplevels output of a planner run on the base`
    )
  let commit: string
  let label: string
  if (pr !== undefined && diffBase.kind === 'auto') {
    commit = await resolveCommit(git, await mergeBase(phase, git, pr), phase.env)
    label = `the merge base \`${commit.slice(0, 12)}\` of #${pr.number}`
  } else {
    const revision = diffBase.kind === 'revision' ? diffBase.revision : ''
    commit = await resolveCommit(git, revision, phase.env)
    label = `${revision} (\`${commit.slice(0, 12)}\`)`
  }
  core.info(`Evaluating ${phase.hosts.map(h => h.id).join(', ')} at ${commit}`)
  return {
    label,
    toplevels: await toplevelsAt(
      flakeAtCommit(git, commit),
      phase.hosts.map(h => h.id),
      phase.env
    )
  }
}

async function comment(phase: DiffPhase, pr: PullRequest, diffs: HostDiff[], baseLabel: string): Promise<void> {
  const noPermission =
    'No closure-diff comment on the pull request: the token may not write to it. Give the job `permissions: pull-requests: write` (pull requests from forks never get it); the diff is in the job summary and the diff output.'
  if (phase.githubToken === undefined) {
    core.notice(noPermission)
    return
  }
  const context = `<sub>base: ${baseLabel} · head: \`${pr.headSha.slice(0, 12)}\`</sub>`
  const sections: CommentSection[] = diffs.map(d => ({
    host: d.host,
    commit: pr.headSha,
    markdown: `${renderHostMarkdown(d, { cache: phase.cacheName })}\n${context}`
  }))
  const outcome = await upsertStickyComment(
    pullRequestComments(gitHubApi(phase.githubToken)),
    pr,
    sections,
    COMMENT_TITLE
  )
  if (outcome.kind === 'forbidden') core.notice(`${noPermission} (HTTP ${outcome.status})`)
  else core.info(`Pull request comment ${outcome.kind}: ${outcome.url}`)
}

/** The closure diff runs when diff-base is set and the cache can be read. */
export function wantsClosureDiff(inputs: Inputs, cache: CacheSetup): boolean {
  return inputs.diffBase.kind !== 'off' && cache.reader !== undefined
}

/**
 * What the change does to each host: base and head closures from narinfos and the local store,
 * in the summary, the `diff` output and the pull request's sticky comment. It informs; it never
 * fails the step. Runs when wantsClosureDiff says so.
 */
export async function closureDiffPhase(run: Run, cache: CacheSetup, results: HostResult[]): Promise<HostDiff[]> {
  const { inputs } = run
  const reader = cache.reader!
  return diffHosts({
    flake: inputs.flake,
    diffBase: inputs.diffBase,
    comment: inputs.diffComment,
    githubToken: inputs.githubToken,
    cacheName: reader.client.cacheName,
    cache: reader.client,
    cacheUri: reader.cache.uri,
    credentials: cache.netrc,
    store: run.store,
    hosts: results.map(r => ({ id: r.id, toplevel: r.toplevel })),
    env: run.env
  })
}

/** Each host's diff (none without a base), logged, as the output, in the summary and on the pull request. */
async function diffHosts(phase: DiffPhase): Promise<HostDiff[]> {
  const pr = currentPullRequest()
  let base: Base | undefined
  let diffs: HostDiff[]
  try {
    base = await evaluatedBase(phase, pr)
    if (base === undefined) return []
    const cache = new SharedCacheLookups(phase.cache)
    // Upstream paths (what cache.nixos.org has) are described by the substituters this job's Nix uses.
    const substituters = await configuredSubstituterNarInfos({
      env: phase.env,
      exclude: [phase.cacheUri],
      credentials: phase.credentials,
      log: STEP_LOG
    })
    core.info(`Narinfos of upstream paths from: ${substituters.describe()}`)
    diffs = []
    for (const host of phase.hosts)
      diffs.push(
        await diffHost(host.id, base.toplevels[host.id], host.toplevel, {
          cache,
          substituters,
          store: phase.store
        })
      )
    core.info(
      `${cache.lookups} narinfo lookups and ${cache.bulkQueries} bulk queries in ${phase.cacheName}, ${substituters.lookups} in the substituters`
    )
  } catch (error: unknown) {
    const message = `could not evaluate the base: ${errorMessage(error)}`
    core.warning(`Closure diff: ${message}`)
    diffs = phase.hosts.map(h => ({ host: h.id, outcome: 'failed', head: h.toplevel, message }))
  }
  for (const d of diffs) core.info(renderHostText(d, phase.cacheName).trimEnd())
  core.setOutput(Output.Diff, diffJson(diffs))
  const label = base?.label ?? 'the base'
  await core.summary.addRaw(renderSummaryMarkdown(diffs, { cache: phase.cacheName, base: label })).write()
  if (!phase.comment || pr === undefined) return diffs
  try {
    await comment(phase, pr, diffs, label)
  } catch (error: unknown) {
    core.warning(`Closure diff: the pull request comment could not be written: ${errorMessage(error)}`)
  }
  return diffs
}
