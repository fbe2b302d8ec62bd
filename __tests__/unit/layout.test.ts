import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SRC = join(REPO, 'src')
const ENTRIES = ['main.ts', 'post.ts', 'plan.ts', 'report.ts', 'cli.ts'].map(f => join(SRC, f))
// The front ends: the only folders that may use the Actions toolkit.
const FRONT_ENDS_WITH_TOOLKIT = ['action', 'plan', 'fleet']
// Which folder may import which, bottom to top: each layer imports only from those below it (a
// line of two is two layers side by side that import neither each other). A sub-folder listed
// here is a layer of its own; any other belongs to its folder's.
const LAYERS = [
  ['util'],
  ['nix/format'],
  ['nix'],
  ['nix/conf'],
  ['machine'],
  ['cachix'],
  ['hosts'],
  ['push/upload'],
  ['push'],
  ['nix-build'],
  ['diff'],
  ['report'],
  ['inputs'],
  ['github'],
  ['cli', 'action'],
  ['plan', 'fleet']
]
// Of the action, the planner may use the phases it shares, the report sub-action (fleet) its
// GitHub client, and nothing else.
const MAY_IMPORT_OF_ACTION: Record<string, string[]> = {
  plan: ['action/phases/'],
  fleet: ['action/github-api.ts']
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []
  )
}

interface ImportStatement {
  specifier: string
  /** The names it imports (`type` ones included); undefined for `import * as` and bare imports. */
  names?: string[]
  /** `import * as namespace`. */
  namespace?: string
}

function importStatements(file: string): ImportStatement[] {
  const text = readFileSync(file, 'utf8')
  const statements: ImportStatement[] = []
  for (const m of text.matchAll(
    /^(?:import|export)\s+(type\s+)?(\{[^}]*\}|\*\s+as\s+\w+|[\w$]+)?[^'"]*?from\s+'([^']+)'/gm
  )) {
    const clause = m[2] ?? ''
    if (clause.startsWith('{'))
      statements.push({
        specifier: m[3],
        names: clause
          .slice(1, -1)
          .split(',')
          .map(
            n =>
              n
                .trim()
                .replace(/^type\s+/, '')
                .split(/\s+as\s+/)[0]
          )
          .filter(n => n !== '')
      })
    else if (clause.startsWith('*')) statements.push({ specifier: m[3], namespace: clause.split(/\s+/).pop() })
    else statements.push({ specifier: m[3] })
  }
  // `const { a, b: c } = await import('…')`, as a test imports a module after mocking others.
  for (const m of text.matchAll(/\{([^}]*)\}\s*=\s*await\s+import\(\s*'([^']+)'\s*\)/g))
    statements.push({ specifier: m[2], names: m[1].split(',').map(n => n.split(':')[0].trim()) })
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) statements.push({ specifier: m[1] })
  return statements
}

function importsOf(file: string): string[] {
  return importStatements(file).map(s => s.specifier)
}

function localTarget(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  return resolve(dirname(file), specifier).replace(/\.js$/, '.ts')
}

const LAYER_NAMES = LAYERS.flat().sort((a, b) => b.length - a.length)

/** The layer of a src file: its sub-folder's when that is a layer, else its folder's ('' for an entry). */
function layerOf(file: string): string {
  const path = relative(SRC, file)
  return LAYER_NAMES.find(layer => path.startsWith(`${layer}/`)) ?? ''
}

function level(layer: string): number {
  return LAYERS.findIndex(line => line.includes(layer))
}

const files = sourceFiles(SRC)
// Exported values (types are not counted: a parameter's type need not be imported where it is used).
const EXPORTED = /^export\s+(?:async\s+)?(?:function\*?|const|let|class|enum)\s+([\w$]+)/gm

describe('layout', () => {
  it('every folder of src/ is a layer', () => {
    const folders = [...new Set(files.map(f => dirname(relative(SRC, f))))].filter(f => f !== '.')
    expect(folders.filter(f => layerOf(join(SRC, f, 'x.ts')) === '')).toEqual([])
  })

  it('only src/action and src/plan import @actions/*', () => {
    const offenders = files.filter(
      f =>
        !FRONT_ENDS_WITH_TOOLKIT.includes(layerOf(f)) &&
        layerOf(f) !== '' &&
        importsOf(f).some(s => s.startsWith('@actions/'))
    )
    expect(offenders.map(f => relative(REPO, f))).toEqual([])
  })

  it('each layer imports only from the layers below it', () => {
    const upward: string[] = []
    for (const file of files) {
      const from = layerOf(file)
      if (from === '') continue
      for (const specifier of importsOf(file)) {
        const target = localTarget(file, specifier)
        if (target === undefined) continue
        const to = layerOf(target)
        if (to !== from && level(to) >= level(from)) upward.push(`${relative(SRC, file)} → ${relative(SRC, target)}`)
      }
    }
    expect(upward).toEqual([])
  })

  it('the planner and the report use the action only through what they share', () => {
    const reaching: string[] = []
    for (const file of files.filter(f => MAY_IMPORT_OF_ACTION[layerOf(f)] !== undefined))
      for (const specifier of importsOf(file)) {
        const target = localTarget(file, specifier)
        if (target === undefined || layerOf(target) !== 'action') continue
        if (!MAY_IMPORT_OF_ACTION[layerOf(file)].some(allowed => relative(SRC, target).startsWith(allowed)))
          reaching.push(`${relative(SRC, file)} → ${relative(SRC, target)}`)
      }
    expect(reaching).toEqual([])
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

  it('src/ exports nothing needlessly: an export serves another file of src/, the harness or the benches, or is what a test checks of code its own file uses', () => {
    const importedBy = (consumers: string[]): Set<string> => {
      const used = new Set<string>()
      for (const file of consumers)
        for (const statement of importStatements(file)) {
          const target = localTarget(file, statement.specifier)
          if (target === undefined) continue
          for (const name of statement.names ?? []) used.add(`${target}#${name}`)
          if (statement.namespace === undefined) continue
          const text = readFileSync(file, 'utf8')
          const members = [...text.matchAll(new RegExp(`\\b${statement.namespace}\\.(\\w+)`, 'g'))].map(m => m[1])
          // A namespace handed around whole (not only read as ns.name) may use any export.
          const whole = [...text.matchAll(new RegExp(`\\b${statement.namespace}\\b(?!\\.)`, 'g'))].length > 1
          for (const name of whole ? [...readFileSync(target, 'utf8').matchAll(EXPORTED)].map(m => m[1]) : members)
            used.add(`${target}#${name}`)
        }
      return used
    }
    const tooling = ['harness', 'bench', 'scripts'].flatMap(dir => sourceFiles(join(REPO, dir)))
    const product = importedBy([...files, ...tooling])
    const tests = importedBy(sourceFiles(join(REPO, '__tests__')))
    const needless: string[] = []
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(EXPORTED)) {
        const key = `${file}#${m[1]}`
        if (product.has(key)) continue
        const usedHere = (text.match(new RegExp(`\\b${m[1].replace('$', '\\$')}\\b`, 'g')) ?? []).length > 1
        if (usedHere && tests.has(key)) continue
        needless.push(
          `${relative(SRC, file)}: ${m[1]} (${usedHere ? 'used in its own file only' : 'not used by the product'})`
        )
      }
    }
    expect(needless).toEqual([])
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
