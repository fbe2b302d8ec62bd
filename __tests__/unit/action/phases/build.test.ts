import { describe, expect, it } from '@jest/globals'
import { buildGroupName } from '../../../../src/action/phases/build.js'

describe('the build phase', () => {
  it.each([
    [0, 'Build 0 installables'],
    [1, 'Build 1 installable'],
    [3, 'Build 3 installables']
  ])('%i installables: group "%s"', (count, name) => expect(buildGroupName(count)).toBe(name))
})
