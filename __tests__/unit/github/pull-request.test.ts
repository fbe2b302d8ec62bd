import { describe, expect, it } from '@jest/globals'
import { pullRequestOf } from '../../../src/github/pull-request.js'

describe('the pull request of an event', () => {
  const payload = { pull_request: { number: 7, base: { sha: 'b'.repeat(40) }, head: { sha: 'h'.repeat(40) } } }
  it.each([
    [
      'pull_request',
      payload,
      'krit/fleet',
      { owner: 'krit', repo: 'fleet', number: 7, baseSha: 'b'.repeat(40), headSha: 'h'.repeat(40) }
    ],
    ['push', payload, 'krit/fleet', undefined],
    // pull_request_target runs with the base's code and secrets: no diff of untrusted heads there.
    ['pull_request_target', payload, 'krit/fleet', undefined],
    ['pull_request', {}, 'krit/fleet', undefined],
    ['pull_request', payload, undefined, undefined]
  ])('%s', (event, body, repository, expected) => expect(pullRequestOf(event, body, repository)).toEqual(expected))
})
