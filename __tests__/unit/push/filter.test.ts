import { describe, expect, it } from '@jest/globals'
import { makePushFilter } from '../../../src/push/filter.js'

describe('push filter', () => {
  const filter = makePushFilter(/-docker-image-/)
  it.each([
    ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello.drv', true],
    ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-self-test-bash-1700000000000', true],
    ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-docker-image-x', true],
    ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-2.12', false],
    ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-drv-tools', false]
  ])('%s excluded: %s', (path, excluded) => {
    expect(filter.excluded(path) !== undefined).toBe(excluded)
  })
})
