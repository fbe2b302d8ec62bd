// Regenerates the input/output tables of README.md and docs/planner.md from action.yml and plan/action.yml.
import { readFileSync, writeFileSync } from 'node:fs'
import { actionTables, replaceSection } from './readme-tables.js'

for (const [doc, section, action] of [
  ['README.md', 'action-reference', 'action.yml'],
  ['docs/planner.md', 'plan-reference', 'plan/action.yml']
]) {
  writeFileSync(doc, replaceSection(readFileSync(doc, 'utf8'), section, actionTables(readFileSync(action, 'utf8'))))
}
