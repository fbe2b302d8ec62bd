import { describe, expect, it } from '@jest/globals'
import { diffJson, renderHostMarkdown, renderHostText, showVersions, signedBytes } from '../../../src/diff/render.js'
import type { HostDiff } from '../../../src/diff/types.js'
import { storePath } from '../../support/store-paths.js'

describe('rendering', () => {
  const compared: HostDiff = {
    host: 'alpha',
    outcome: 'compared',
    base: storePath('nixos-system-alpha-26.05', 'base'),
    head: storePath('nixos-system-alpha-26.05', 'head'),
    diff: {
      changed: [{ name: 'hello', before: ['2.12'], after: ['2.13'], sizeDelta: 2048 }],
      added: [{ name: 'new|pkg', before: [], after: [''], sizeDelta: 700 }],
      removed: [],
      rebuilt: [{ name: 'tool', before: ['1.0'], after: ['1.0'], sizeDelta: 0 }],
      before: { paths: 10, narSize: 1024 * 1024 },
      after: { paths: 11, narSize: 1024 * 1024 + 2748 },
      download: { paths: 3, fileSize: 1536, sizeUnknown: [] }
    }
  }

  it.each([
    [0, '±0 B'],
    [512, '+512 B'],
    [-2048, '-2.0 KiB']
  ])('signed size %d → %s', (bytes, text) => expect(signedBytes(bytes)).toBe(text))

  it.each([
    [[], '∅'],
    [[''], 'ε'],
    [['1.0', '1.1'], '1.0, 1.1']
  ])('versions %j → %s', (versions, text) => expect(showVersions(versions)).toBe(text))

  it('markdown: totals, the download, a row per package, pipes escaped', () => {
    const text = renderHostMarkdown(compared, { cache: 'fleet' })
    expect(text).toContain('### alpha')
    expect(text).toContain('| closure | 1.0 MiB (10 paths) | 1.0 MiB (11 paths) | +2.7 KiB |')
    expect(text).toContain('| download to switch | | | 3 paths, 1.5 KiB |')
    expect(text).toContain('| hello | changed | 2.12 | 2.13 | +2.0 KiB |')
    expect(text).toContain('| new\\|pkg | added | ∅ | ε | +700 B |')
    expect(text).toContain('| tool | rebuilt | 1.0 | 1.0 | ±0 B |')
  })

  it('markdown: rows beyond the limit are counted, not dropped silently', () => {
    const text = renderHostMarkdown(compared, { cache: 'fleet', maxRows: 1 })
    expect(text).toContain('| hello | changed |')
    expect(text).not.toContain('| tool |')
    expect(text).toContain('…and 2 more')
  })

  it('a base the cache lacks is named as such, with no numbers', () => {
    const missing: HostDiff = {
      host: 'beta',
      outcome: 'base-not-in-cache',
      base: storePath('nixos-system-beta-1', 'b'),
      head: storePath('nixos-system-beta-1', 'h')
    }
    const text = renderHostMarkdown(missing, { cache: 'fleet' })
    expect(text).toContain(`the base toplevel ${missing.base} is not in the cache fleet`)
    expect(text).not.toMatch(/closure \||download/)
    expect(renderHostText(missing, 'fleet')).toBe(
      `beta: the base toplevel ${missing.base} is not in the cache fleet, so there is nothing to compare with (was the base commit built and pushed?)\n`
    )
  })

  it('text for the CLI: diff-closures-like lines and the totals', () => {
    expect(renderHostText(compared, 'fleet').split('\n')).toEqual([
      `alpha: ${compared.base} → ${(compared as { head: string }).head}`,
      '  hello: 2.12 → 2.13, +2.0 KiB',
      '  new|pkg: ∅ → ε, +700 B',
      '  tool: rebuilt (1.0), ±0 B',
      '  closure: 10 → 11 paths, 1.0 MiB → 1.0 MiB (+2.7 KiB)',
      '  download to switch: 3 paths, 1.5 KiB',
      ''
    ])
  })

  it('JSON output is keyed by host', () => {
    expect(JSON.parse(diffJson([compared]))).toEqual({
      alpha: {
        outcome: 'compared',
        base: compared.base,
        head: (compared as { head: string }).head,
        diff: (compared as { diff: unknown }).diff
      }
    })
  })
})
