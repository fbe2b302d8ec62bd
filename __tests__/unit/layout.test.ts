import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SRC = join(REPO, 'src')
const ENTRIES = ['main.ts', 'post.ts', 'plan.ts', 'cli.ts'].map(f => join(SRC, f))
// The front ends: the only folders that may use the Actions toolkit.
const FRONT_ENDS_WITH_TOOLKIT = ['action', 'plan']
// Which folder may import which: each layer only from those below it.
const LAYERS = [
  'util',
  'nix',
  'machine',
  'cachix',
  'hosts',
  'push',
  'nix-build',
  'diff',
  'report',
  'inputs',
  'github',
  'cli',
  'action',
  'plan'
]

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []
  )
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [
    ...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)
  ].map(m => m[1])
}

function localTarget(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  return resolve(dirname(file), specifier).replace(/\.js$/, '.ts')
}

function folderOf(file: string): string {
  const parts = relative(SRC, file).split('/')
  return parts.length === 1 ? '' : parts[0]
}

const files = sourceFiles(SRC)

describe('layout', () => {
  it('only src/action and src/plan import @actions/*', () => {
    const offenders = files.filter(
      f =>
        !FRONT_ENDS_WITH_TOOLKIT.includes(folderOf(f)) &&
        folderOf(f) !== '' &&
        importsOf(f).some(s => s.startsWith('@actions/'))
    )
    expect(offenders.map(f => relative(REPO, f))).toEqual([])
  })

  it('each folder imports only from the layers below it', () => {
    const upward: string[] = []
    for (const file of files) {
      const from = folderOf(file)
      if (from === '') continue
      for (const specifier of importsOf(file)) {
        const target = localTarget(file, specifier)
        if (target === undefined) continue
        const to = folderOf(target)
        if (to !== from && LAYERS.indexOf(to) > LAYERS.indexOf(from))
          upward.push(`${relative(SRC, file)} → ${relative(SRC, target)}`)
      }
    }
    expect(upward).toEqual([])
  })

  it('nothing in src/ exists only for tests: every file is reached from an entry point, and none imports harness/', () => {
    const reached = new Set<string>()
    const queue = [...ENTRIES]
    while (queue.length > 0) {
      const file = queue.pop()!
      if (reached.has(file)) continue
      reached.add(file)
      for (const specifier of importsOf(file)) {
        const target = localTarget(file, specifier)
        if (target !== undefined && existsSync(target)) queue.push(target)
      }
    }
    expect(files.filter(f => !reached.has(f)).map(f => relative(REPO, f))).toEqual([])
    expect(
      files
        .filter(f => importsOf(f).some(s => localTarget(f, s)?.startsWith(join(REPO, 'harness'))))
        .map(f => relative(REPO, f))
    ).toEqual([])
  })

  it('the CLI bundle carries none of the Actions toolkit (the action bundle, which does, is the control)', () => {
    // Functions of @actions/core, @actions/github and Octokit that no code of ours defines.
    const toolkit = ['issueFileCommand', 'toCommandValue', 'getOctokit', '@octokit/', '@actions/']
    const main = readFileSync(join(REPO, 'dist/main/index.js'), 'utf8')
    const cli = readFileSync(join(REPO, 'dist/cli/index.js'), 'utf8')
    expect(toolkit.filter(name => main.includes(name))).toEqual(toolkit)
    expect(toolkit.filter(name => cli.includes(name))).toEqual([])
  })
})
