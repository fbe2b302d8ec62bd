import { describe, expect, it } from '@jest/globals'
import { derivationsBuilt, remoteBuilding } from '../../../src/nix/build-log.js'

describe('what an evaluation built', () => {
  it.each<[string, string, string[]]>([
    ['nothing: no building line', "evaluating 'x'...\ncopying path '/nix/store/aaaa-y' from 'https://cache'...\n", []],
    [
      'each derivation once, in order',
      "building '/nix/store/aaaa-gen.drv'...\nbuilding '/nix/store/bbbb-opts.drv'...\nbuilding '/nix/store/aaaa-gen.drv'...\n",
      ['/nix/store/aaaa-gen.drv', '/nix/store/bbbb-opts.drv']
    ],
    [
      'only at the start of a line (a builder that echoes the phrase is not a build)',
      "gen> building '/nix/store/cccc-x.drv'\n",
      []
    ]
  ])('%s', (_, stderr, built) => {
    expect(derivationsBuilt(stderr)).toEqual(built)
  })
})

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
