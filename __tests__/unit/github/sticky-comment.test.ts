import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { getOctokit } from '@actions/github'
import { parseSections } from '../../../src/github/comment-body.js'
import { upsertStickyComment } from '../../../src/github/sticky-comment.js'
import { pullRequestComments } from '../../../src/action/github-api.js'
import type { PullRequest } from '../../../src/github/pull-request.js'
import { startGitHubStandIn, type GitHubStandIn } from '../../support/github-api.js'

const PR: PullRequest = { owner: 'krit', repo: 'fleet', number: 3, baseSha: 'b'.repeat(40), headSha: 'c'.repeat(40) }

const section = (host: string, commit = PR.headSha) => ({
  host,
  commit,
  markdown: `### ${host}\n\nfor ${commit.slice(0, 4)}`
})

describe("the sticky comment against a stand-in of GitHub's REST API", () => {
  let api: GitHubStandIn
  const octokit = () => pullRequestComments(getOctokit('ghs_unitTestToken', { baseUrl: api.url }))
  beforeAll(async () => {
    api = await startGitHubStandIn('krit/fleet', PR.number)
  })
  beforeEach(() => {
    api.comments.splice(0)
    api.forbidWrites = false
  })
  afterAll(async () => api.close())

  it('creates it once, then updates it; an identical body is not written again', async () => {
    expect((await upsertStickyComment(octokit(), PR, [section('alpha')], 'T')).kind).toBe('created')
    expect((await upsertStickyComment(octokit(), PR, [section('alpha', 'd'.repeat(40))], 'T')).kind).toBe('updated')
    const patches = api.requests.filter(r => r.method === 'PATCH').length
    expect((await upsertStickyComment(octokit(), PR, [section('alpha', 'd'.repeat(40))], 'T')).kind).toBe('unchanged')
    expect(api.requests.filter(r => r.method === 'PATCH')).toHaveLength(patches)
    expect(api.comments).toHaveLength(1)
  })

  it("other people's comments are left alone", async () => {
    api.comments.push({ id: 1, body: 'LGTM', html_url: 'x', updated: 0 })
    await upsertStickyComment(octokit(), PR, [section('alpha')], 'T')
    expect(api.comments.map(c => c.body.startsWith('<!-- nix-cachix-build:closure-diff -->'))).toEqual([false, true])
    expect(api.comments[0].body).toBe('LGTM')
  })

  it("two matrix legs finishing at once end with one comment holding both legs' hosts", async () => {
    await Promise.all([
      upsertStickyComment(octokit(), PR, [section('alpha')], 'T'),
      upsertStickyComment(octokit(), PR, [section('arm')], 'T')
    ])
    expect(api.comments).toHaveLength(1)
    expect(parseSections(api.comments[0].body).map(s => s.host)).toEqual(['alpha', 'arm'])
  })

  it('a token that may not write is `forbidden`, not an error', async () => {
    api.forbidWrites = true
    expect(await upsertStickyComment(octokit(), PR, [section('alpha')], 'T')).toEqual({
      kind: 'forbidden',
      status: 403
    })
    expect(api.comments).toHaveLength(0)
  })
})
