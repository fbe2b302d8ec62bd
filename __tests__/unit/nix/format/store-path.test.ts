import { describe, expect, it } from '@jest/globals'
import { parseStorePath } from '../../../../src/nix/format/store-path.js'

describe('store paths', () => {
  it.each([
    '/nix/store/short-x',
    '/tmp/wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5-vec-top',
    '/nix/store/wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5',
    '/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x'
  ])('rejects %s', bad => {
    expect(() => parseStorePath(bad)).toThrow(/store path/)
  })
})
