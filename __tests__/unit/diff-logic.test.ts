import { describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { parseDiffBase, isRevision } from '../../src/diff/base-input.js'
import { COMMENT_MARKER, holdsSections, mergeComment, parseSections } from '../../src/github/comment-body.js'
import { compareClosures } from '../../src/diff/compare.js'
import { parsePackageName } from '../../src/diff/names.js'
import { pullRequestOf } from '../../src/github/pull-request.js'
import { runQueue } from '../../src/util/async.js'
import { diffJson, renderHostMarkdown, renderHostText, showVersions, signedBytes } from '../../src/diff/render.js'
import type { HostDiff } from '../../src/diff/types.js'
import { encodeNix32 } from '../../src/nix/format/base32.js'
import { parseCommand } from '../../src/cli/args.js'
import { parseInputs } from '../../src/action/inputs.js'

/** A valid store path whose hash follows from `seed`, so two seeds give two builds of one name. */
function storePath(name: string, seed = 'a'): string {
  return `/nix/store/${encodeNix32(createHash('sha1').update(`${seed}/${name}`).digest())}-${name}`
}

describe('package names, as nix store diff-closures splits them', () => {
  // The rule: strip a trailing -<lowercase letters>|lib32|lib64 output, then split at the first
  // dash not followed by a letter (builtins.parseDrvName's examples included).
  it.each([
    ['hello-2.12', 'hello', '2.12', ''],
    ['hello-2.12-bin', 'hello', '2.12', 'bin'],
    ['rip-grep-1.2', 'rip-grep', '1.2', ''],
    ['7zip_archiver-0.2', '7zip_archiver', '0.2', ''],
    ['gcc-1-2', 'gcc', '1-2', ''],
    ['bash--1-2', 'bash', '-1-2', ''],
    ['xvidtune-?1-2', 'xvidtune', '?1-2', ''],
    ['nixos-system-laptop-24.05.20240101.abcdef', 'nixos-system-laptop', '24.05.20240101.abcdef', ''],
    ['etc', 'etc', '', ''],
    ['unit-dbus.service', 'unit-dbus.service', '', ''],
    ['glibc-2.39-52-lib64', 'glibc', '2.39-52', 'lib64'],
    ['linux-6.6.30-modules', 'linux', '6.6.30', 'modules'],
    // Ambiguous in Nix as well: "unstable" is taken for an output name.
    ['foo-unstable', 'foo', '', 'unstable'],
    ['python3.12-requests-2.31.0-dist', 'python3.12-requests', '2.31.0', 'dist'],
    ['source', 'source', '', ''],
    ['x-', 'x-', '', '']
  ])('%s → name %s, version %s, output %s', (storeName, name, version, output) => {
    expect(parsePackageName(storeName)).toEqual({ name, version, output })
  })
})

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

  const reader = (values: Record<string, string>) => (name: string) => values[name] ?? ''
  it('the action refuses a diff without a cache, before anything runs', () => {
    expect(() => parseInputs(reader({ 'diff-base': 'auto', system: 'x86_64-linux' }))).toThrow(
      'input diff-base: needs the cachix input'
    )
    expect(() => parseInputs(reader({ 'diff-base': '{x', cachix: 'fleet', system: 'x86_64-linux' }))).toThrow(
      /^input diff-base: is not valid JSON/
    )
    expect(parseInputs(reader({ 'diff-base': 'auto', cachix: 'fleet', system: 'x86_64-linux' }))).toMatchObject({
      diffBase: { kind: 'auto' },
      diffComment: true
    })
    expect(parseInputs(reader({ system: 'x86_64-linux' }))).toMatchObject({ diffBase: { kind: 'off' } })
  })
})

describe('the CLI diff command', () => {
  it.each([
    [['diff', '--cache', 'fleet', 'laptop'], { kind: 'diff', host: 'laptop', base: undefined, json: false }],
    [
      ['diff', '--cache', 'fleet', 'laptop', '--base', 'origin/main', '--json'],
      { kind: 'diff', host: 'laptop', base: 'origin/main', json: true }
    ]
  ])('%j', (argv, expected) => expect(parseCommand(argv)).toMatchObject(expected))

  it.each([
    [['diff', '--cache', 'fleet'], /diff takes exactly one host name/],
    [['diff', 'laptop'], /diff needs --cache NAME/],
    [['diff', '--cache', 'fleet', 'laptop', '--base=--exec=x'], /--base "--exec=x" is not a git revision/]
  ])('%j is refused', (argv, message) => expect(() => parseCommand(argv)).toThrow(message))
})

describe('the pull request of an event', () => {
  const payload = { pull_request: { number: 7, base: { sha: 'b'.repeat(40) }, head: { sha: 'h'.repeat(40) } } }
  it.each([
    [
      'pull_request',
      payload,
      'krit/fleet',
      { owner: 'krit', repo: 'fleet', number: 7, baseSha: 'b'.repeat(40), headSha: 'h'.repeat(40) }
    ],
    ['push', payload, 'krit/fleet', undefined],
    // pull_request_target runs with the base's code and secrets: no diff of untrusted heads there.
    ['pull_request_target', payload, 'krit/fleet', undefined],
    ['pull_request', {}, 'krit/fleet', undefined],
    ['pull_request', payload, undefined, undefined]
  ])('%s', (event, body, repository, expected) => expect(pullRequestOf(event, body, repository)).toEqual(expected))
})

describe('bounded work queue', () => {
  it('never runs more than the limit at once and takes work added on the way', async () => {
    let active = 0
    let peak = 0
    const done: number[] = []
    await runQueue([1, 2, 3], 2, async (n, add) => {
      active++
      peak = Math.max(peak, active)
      await new Promise(resolve => setTimeout(resolve, 5))
      if (n < 10) add(n * 10)
      done.push(n)
      active--
    })
    expect(peak).toBe(2)
    expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 10, 20, 30])
  })

  it('rejects with the first failure after the work in flight settles', async () => {
    let settled = 0
    const run = runQueue([1, 2, 3, 4], 2, async n => {
      await new Promise(resolve => setTimeout(resolve, n * 5))
      settled++
      if (n === 1) throw new Error('one failed')
    })
    await expect(run).rejects.toThrow('one failed')
    expect(settled).toBe(2)
  })
})
