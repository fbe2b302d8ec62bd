import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { REPO } from '../../harness/runner.js'
import { actionTables, replaceSection } from '../../scripts/readme-tables.js'

const read = (file: string): string => readFileSync(join(REPO, file), 'utf8')
const readme = read('README.md')
const docs = ['README.md', ...readdirSync(join(REPO, 'docs')).map(name => `docs/${name}`)].filter(f =>
  f.endsWith('.md')
)

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

function anchors(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map(m => slug(m[1])))
}

/** Every [text](target) outside code blocks whose target is in this repository. */
function localLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '')
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map(m => m[1]).filter(t => !/^[a-z]+:/.test(t))
}

describe('README and docs/', () => {
  it.each([
    ['README.md', 'action-reference', 'action.yml'],
    ['docs/planner.md', 'plan-reference', 'plan/action.yml']
  ])('the tables of %s (%s) match %s (regenerate with npm run docs)', (doc, section, action) => {
    const text = read(doc)
    expect(replaceSection(text, section, actionTables(read(action)))).toBe(text)
  })

  it('names every input of action.yml', () => {
    const tables = actionTables(read('action.yml'))
    for (const name of ['cachix-auth-token', 'push', 'time-budget', 'drain-timeout', 'use-host-substituters'])
      expect(tables).toContain(`| \`${name}\` |`)
  })

  it('gives a newcomer the two commands and the benchmark command', () => {
    for (const command of ['npm ci', 'npm run demo', 'npm test', 'npm run bench']) expect(readme).toContain(command)
  })

  it('is a README a user reads: at most 15 KB, no command pointing outside the repository', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(15 * 1024)
    expect(readme).not.toMatch(/\.\.\//)
  })

  it.each(docs)('every link of %s resolves to a file, and an anchor to a heading of it', doc => {
    const broken: string[] = []
    for (const link of localLinks(read(doc))) {
      const [path, anchor] = link.split('#')
      const target = path === '' ? join(REPO, doc) : join(REPO, dirname(doc), path)
      if (!existsSync(target)) broken.push(`${link} (no ${relative(REPO, target)})`)
      else if (anchor !== undefined && !anchors(readFileSync(target, 'utf8')).has(anchor))
        broken.push(`${link} (no heading)`)
    }
    expect(broken).toEqual([])
  })
})
