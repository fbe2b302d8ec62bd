import { describe, expect, it } from '@jest/globals'
import { compareClosures } from '../../../src/diff/compare.js'
import { storePath } from '../../support/store-paths.js'

describe('closure comparison', () => {
  const sizes = (entries: [string, number][]): Map<string, number> => new Map(entries)
  const zlib = storePath('zlib-1.3')
  const baseTop = storePath('nixos-system-alpha-26.05', 'base')
  const headTop = storePath('nixos-system-alpha-26.05', 'head')
  const base = {
    root: baseTop,
    narSizes: sizes([
      [baseTop, 1000],
      [zlib, 5000],
      [storePath('hello-2.12'), 300],
      [storePath('gone-1.0'), 200],
      [storePath('tool-1.0', 'base'), 400]
    ])
  }
  const head = {
    root: headTop,
    narSizes: sizes([
      [headTop, 1100],
      [zlib, 5000],
      [storePath('hello-2.13'), 320],
      [storePath('new-pkg-0.5'), 700],
      [storePath('tool-1.0', 'head'), 410]
    ])
  }
  const fileSizes = new Map<string, number | undefined>([
    [headTop, 90],
    [storePath('hello-2.13'), 30],
    [storePath('new-pkg-0.5'), 70],
    [storePath('tool-1.0', 'head'), undefined]
  ])

  it('names each package once: changed, added, removed, rebuilt; shared paths and the toplevels are not packages', () => {
    const diff = compareClosures(base, head, fileSizes)
    expect(diff.changed).toEqual([{ name: 'hello', before: ['2.12'], after: ['2.13'], sizeDelta: 20 }])
    expect(diff.added).toEqual([{ name: 'new-pkg', before: [], after: ['0.5'], sizeDelta: 700 }])
    expect(diff.removed).toEqual([{ name: 'gone', before: ['1.0'], after: [], sizeDelta: -200 }])
    expect(diff.rebuilt).toEqual([{ name: 'tool', before: ['1.0'], after: ['1.0'], sizeDelta: 10 }])
  })

  it('closure sizes are NarSize sums; the download is FileSize of the paths the base lacks, unknown ones listed', () => {
    const diff = compareClosures(base, head, fileSizes)
    expect(diff.before).toEqual({ paths: 5, narSize: 6900 })
    expect(diff.after).toEqual({ paths: 5, narSize: 7530 })
    expect(diff.download).toEqual({ paths: 4, fileSize: 190, sizeUnknown: [storePath('tool-1.0', 'head')] })
  })

  it('one version more of a name is a version change listing only what changed, as diff-closures does', () => {
    const two = {
      root: headTop,
      narSizes: sizes([
        [headTop, 1],
        [storePath('hello-2.12'), 300],
        [storePath('hello-2.13'), 320]
      ])
    }
    const diff = compareClosures(
      {
        root: baseTop,
        narSizes: sizes([
          [baseTop, 1],
          [storePath('hello-2.12'), 300]
        ])
      },
      two,
      new Map()
    )
    expect(diff.changed).toEqual([{ name: 'hello', before: [], after: ['2.13'], sizeDelta: 320 }])
    expect(diff.rebuilt).toEqual([])
  })

  it('the same toplevel on both sides is no change and no download', () => {
    const diff = compareClosures(base, base, new Map())
    expect([diff.changed, diff.added, diff.removed, diff.rebuilt]).toEqual([[], [], [], []])
    expect(diff.download).toEqual({ paths: 0, fileSize: 0, sizeUnknown: [] })
  })
})
