import { describe, expect, it } from '@jest/globals'
import type { BuildResult } from '../../../src/nix-build/build-and-push.js'
import { DeadSubstituters, mergeOutcomes, substitutersWithout } from '../../../src/nix-build/dead-substituters.js'

const CACHE = 'http://127.0.0.1:39287/cache/fleet'

const NARINFO = `${CACHE}/y8d4wi2rgxam28lk92yq1ihc1kj5p06i.narinfo`

// What nix build printed when the cache went down after Nix had read its nix-cache-info.
const NIX_2_8 = [
  `warning: error: unable to download '${NARINFO}': HTTP error 503 ('Service Unavailable')`,
  `disabling binary cache '${CACHE}' for 60 seconds`,
  `error: unable to download '${NARINFO}': HTTP error 503 ('Service Unavailable')`,
  'error: unexpected end-of-file'
]

const NIX_2_34 = [
  `warning: unable to download '${NARINFO}': HTTP error 503`,
  `disabling binary cache '${CACHE}' for 60 seconds`,
  `error: unable to download '${NARINFO}': HTTP error 503`,
  `building '/nix/store/n97s8sy9qb0k4qqcd0visf0pzwg968rh-base.drv'...`
]

// The cache down from the start: Nix disables it at nix-cache-info and no query fails.
const DOWN_FROM_THE_START = [
  `warning: error: unable to download '${CACHE}/nix-cache-info': HTTP error 503 ('Service Unavailable'); retrying in 334 ms`,
  `disabling binary cache '${CACHE}' for 60 seconds`,
  `warning: unable to download '${CACHE}/nix-cache-info': HTTP error 503 ('Service Unavailable')`
]

describe('substituters that stopped answering during the build', () => {
  it.each([
    ['Nix 2.8: disabled, and the query under way failed the build', NIX_2_8, [CACHE]],
    ['Nix 2.34: the same lines (whether it stopped is for the exit code to say)', NIX_2_34, [CACHE]],
    ['disabled before any query: nothing failed because of it', DOWN_FROM_THE_START, []],
    [
      'another cache failing a download is not this one',
      [
        `disabling binary cache '${CACHE}' for 60 seconds`,
        "error: unable to download 'https://other.example/x.narinfo'"
      ],
      []
    ]
  ])('%s', (_why, lines, culprits) => {
    const watch = new DeadSubstituters()
    for (const line of lines) watch.onLine(line)
    expect(watch.culprits()).toEqual(culprits)
  })

  it('the build runs again with every other substituter', () => {
    const config = `max-jobs = 1\nsubstituters = https://cache.nixos.org/ ${CACHE} https://hosts.example\ntrusted-substituters = \n`
    expect(substitutersWithout(config, [CACHE])).toEqual(['https://cache.nixos.org/', 'https://hosts.example'])
    expect(substitutersWithout('substituters = \n', [CACHE])).toEqual([])
  })

  it("the two runs count as one build: the first run's timings, the second's exit", () => {
    const run = (over: Partial<BuildResult>): BuildResult => ({
      exitCode: 0,
      builtDrvs: [],
      builtOutputs: [],
      finishedAt: new Map(),
      seconds: 1,
      warnings: [],
      ...over
    })
    const merged = mergeOutcomes(
      run({ exitCode: 1, builtDrvs: ['a.drv'], builtOutputs: ['a'], finishedAt: new Map([['a', 100]]), seconds: 5 }),
      run({
        builtDrvs: ['a.drv', 'b.drv'],
        builtOutputs: ['a', 'b'],
        finishedAt: new Map([
          ['a', 10],
          ['b', 20]
        ]),
        seconds: 3
      })
    )
    expect(merged).toEqual(
      run({
        builtDrvs: ['a.drv', 'b.drv'],
        builtOutputs: ['a', 'b'],
        finishedAt: new Map([
          ['a', 100],
          ['b', 20]
        ]),
        seconds: 8
      })
    )
  })
})
