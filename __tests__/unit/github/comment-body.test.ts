import { describe, expect, it } from '@jest/globals'
import { COMMENT_MARKER, holdsSections, mergeComment, parseSections } from '../../../src/github/comment-body.js'

describe('the sticky comment body', () => {
  const section = (host: string, commit: string, text = `### ${host}\n\ntext ${commit}`) => ({
    host,
    commit,
    markdown: text
  })

  it('a first body carries the marker and every section; parsing gives them back', () => {
    const body = mergeComment(undefined, [section('beta', 'c1'), section('alpha', 'c1')], '## Closure diff')
    expect(body.startsWith(`${COMMENT_MARKER}\n## Closure diff`)).toBe(true)
    expect(parseSections(body)).toEqual([section('alpha', 'c1'), section('beta', 'c1')])
  })

  it('another leg replaces its own hosts and keeps the others, marking those from an earlier commit', () => {
    const first = mergeComment(undefined, [section('alpha', 'c1'), section('arm', 'c1')], 'T')
    const second = mergeComment(first, [section('arm', 'c2', '### arm\n\nnew')], 'T')
    expect(parseSections(second)).toEqual([section('alpha', 'c1'), section('arm', 'c2', '### arm\n\nnew')])
    expect(second).toContain('_alpha: from an earlier commit `c1`')
    expect(second).not.toContain('_arm: from an earlier commit')
    // The note is not part of a section, so merging again does not stack notes.
    const third = mergeComment(second, [section('arm', 'c2', '### arm\n\nnew')], 'T')
    expect(third).toBe(second)
  })

  it('holdsSections tells whether a write survived', () => {
    const body = mergeComment(undefined, [section('alpha', 'c2')], 'T')
    expect(holdsSections(body, [section('alpha', 'c2')])).toBe(true)
    expect(holdsSections(body, [section('alpha', 'c3')])).toBe(false)
    expect(holdsSections(body, [section('beta', 'c2')])).toBe(false)
  })

  it("a huge section is shortened so the body stays under GitHub's 65,536 characters", () => {
    const big = `### alpha\n\n${'| row |\n'.repeat(20000)}`
    const body = mergeComment(undefined, [section('alpha', 'c1', big)], 'T')
    expect(body.length).toBeLessThan(65536)
    expect(body).toContain('shortened to fit a comment')
    expect(parseSections(body)).toHaveLength(1)
  })
})
