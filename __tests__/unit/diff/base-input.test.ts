import { describe, expect, it } from '@jest/globals'
import { parseDiffBase, isRevision } from '../../../src/diff/base-input.js'
import { storePath } from '../../support/store-paths.js'

describe('diff-base', () => {
  const top = storePath('nixos-system-alpha-1')
  it.each([
    ['', { kind: 'off' }],
    ['false', { kind: 'off' }],
    ['auto', { kind: 'auto' }],
    ['AUTO', { kind: 'auto' }],
    ['main', { kind: 'revision', revision: 'main' }],
    ['origin/main~2', { kind: 'revision', revision: 'origin/main~2' }],
    [`{"alpha": "${top}"}`, { kind: 'toplevels', toplevels: { alpha: top } }],
    ['{}', { kind: 'toplevels', toplevels: {} }]
  ])('%s', (text, expected) => expect(parseDiffBase(text)).toEqual(expected))

  it.each([
    ['{"alpha": "/tmp/x"}', /host alpha: "\/tmp\/x" is not a store path/],
    ['{"alpha": 1}', /host alpha: "1" is not a store path/],
    ['{nope', /is not valid JSON/],
    ['--upload-pack=x', /is not auto, false, a git revision/],
    ['a..b', /is not auto, false, a git revision/],
    ['two words', /is not auto, false, a git revision/]
  ])('%s is refused', (text, message) => expect(() => parseDiffBase(text)).toThrow(message))

  it('revisions never start like an option', () => {
    expect(isRevision('-x')).toBe(false)
    expect(isRevision('abc123')).toBe(true)
  })
})
