import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from '../../local/runner.js'
import { actionTables, replaceSection } from '../../scripts/readme-tables.js'

const readme = readFileSync(join(REPO, 'README.md'), 'utf8')

describe('README', () => {
  it.each([
    ['action-reference', 'action.yml'],
    ['plan-reference', 'plan/action.yml']
  ])('the %s tables match %s (regenerate with npm run docs)', (section, file) => {
    expect(replaceSection(readme, section, actionTables(readFileSync(join(REPO, file), 'utf8')))).toBe(readme)
  })

  it('names every input of action.yml', () => {
    const tables = actionTables(readFileSync(join(REPO, 'action.yml'), 'utf8'))
    for (const name of ['cachix-auth-token', 'push', 'time-budget', 'drain-timeout', 'use-host-substituters'])
      expect(tables).toContain(`| \`${name}\` |`)
  })

  it('gives a newcomer the two commands and the benchmark command', () => {
    for (const command of ['npm ci', 'npm run demo', 'npm test', 'npm run bench']) expect(readme).toContain(command)
  })
})
