import { describe, expect, it } from '@jest/globals'
import { derivationOutputsFromJson } from '../../../../src/nix/format/show-derivation.js'

describe('show-derivation JSON', () => {
  it('reads full-path keys (≤2.31) and basenames (2.32+)', () => {
    const old = {
      '/nix/store/aaa-x.drv': { outputs: { out: { path: '/nix/store/bbb-x' }, dev: { path: '/nix/store/ccc-x-dev' } } }
    }
    const modern = { 'aaa-x.drv': { outputs: { out: { path: 'bbb-x' } } } }
    expect(derivationOutputsFromJson(old).get('/nix/store/aaa-x.drv')).toEqual([
      '/nix/store/bbb-x',
      '/nix/store/ccc-x-dev'
    ])
    expect(derivationOutputsFromJson(modern).get('/nix/store/aaa-x.drv')).toEqual(['/nix/store/bbb-x'])
  })
})
