import { describe, expect, it } from '@jest/globals'
import { promotionBlocked, promotionOf, refPath } from '../../../src/report/promotion.js'

const OLD = 'a'.repeat(40)
const HEAD = 'b'.repeat(40)

describe('promotionOf: fast-forward only, never backwards', () => {
  it('creates the branch where there is none', () => {
    expect(promotionOf('cached', undefined, HEAD, undefined)).toEqual({ action: 'create', ref: 'cached', to: HEAD })
  })

  it('fast-forwards to a descendant', () => {
    expect(promotionOf('cached', OLD, HEAD, 'ahead')).toEqual({ action: 'update', ref: 'cached', from: OLD, to: HEAD })
  })

  it.each([
    ['identical', OLD, /already points at this commit/],
    ['behind', OLD, /newer than this commit; it never moves back/],
    ['diverged', OLD, /not an ancestor of this commit .* fast-forward only/]
  ] as const)('moves nothing when this commit is %s', (compare, current, reason) => {
    const promotion = promotionOf('cached', current, HEAD, compare)
    expect(promotion.action).toBe('none')
    expect(promotion.action === 'none' && promotion.reason).toMatch(reason)
  })

  it('moves nothing when it already points here, without asking', () => {
    expect(promotionOf('cached', HEAD, HEAD, undefined).action).toBe('none')
  })
})

describe('promotionBlocked: only runs of the default branch move it', () => {
  it.each([
    [{ eventName: 'push', ref: 'refs/heads/main', defaultBranch: 'main' }, undefined],
    [{ eventName: 'workflow_dispatch', ref: 'refs/heads/main', defaultBranch: 'main' }, undefined],
    [{ eventName: 'schedule', ref: 'refs/heads/main', defaultBranch: 'main' }, undefined],
    [
      { eventName: 'pull_request', ref: 'refs/pull/4/merge', defaultBranch: 'main' },
      /a pull_request run never moves it/
    ],
    [{ eventName: 'merge_group', ref: 'refs/heads/gh-readonly-queue/main/pr-4', defaultBranch: 'main' }, /merge_group/],
    [
      { eventName: 'push', ref: 'refs/heads/develop', defaultBranch: 'main' },
      /of refs\/heads\/develop, not of the default branch main/
    ],
    [{ eventName: 'push', ref: 'refs/tags/v1', defaultBranch: 'main' }, /refs\/tags\/v1/],
    [{ eventName: 'push', ref: 'refs/heads/main' }, /does not name the default branch/]
  ])('%j: %s', (run, blocked) => {
    const reason = promotionBlocked(run)
    if (blocked === undefined) expect(reason).toBeUndefined()
    else expect(reason).toMatch(blocked)
  })
})

describe('refPath', () => {
  it.each([
    ['cached', 'heads/cached'],
    ['refs/heads/cached', 'heads/cached'],
    ['laptops/cached', 'heads/laptops/cached']
  ])('%s → %s', (ref, path) => expect(refPath(ref)).toBe(path))
})
