import { describe, expect, it } from '@jest/globals'
import { remoteBuilding } from '../../../src/nix/build-log.js'

describe('what remote builders built is counted', () => {
  it.each([
    [
      "building '/nix/store/abc-x.drv' on 'ssh-ng://root@127.0.0.1:2222'...",
      { drvPath: '/nix/store/abc-x.drv', builder: 'ssh-ng://root@127.0.0.1:2222' }
    ],
    ["building '/nix/store/abc-x.drv'...", undefined],
    ["copying path '/nix/store/abc-x' from 'ssh-ng://root@127.0.0.1'...", undefined]
  ])('%s', (line, handed) => {
    expect(remoteBuilding(line)).toEqual(handed)
  })
})
