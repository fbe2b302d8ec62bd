// Regenerates the README's input/output tables from action.yml and plan/action.yml.
import { readFileSync, writeFileSync } from 'node:fs'
import { actionTables, replaceSection } from './readme-tables.js'

let readme = readFileSync('README.md', 'utf8')
readme = replaceSection(readme, 'action-reference', actionTables(readFileSync('action.yml', 'utf8')))
readme = replaceSection(readme, 'plan-reference', actionTables(readFileSync('plan/action.yml', 'utf8')))
writeFileSync('README.md', readme)
