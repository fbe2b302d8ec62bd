// Files and lines per folder and the longest named functions of the given folders, for comparing two checkouts:
//   npx tsx scripts/layout-figures.ts <checkout> src harness
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'

interface FunctionLength {
  name: string
  where: string
  lines: number
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? filesUnder(path) : [path]
  })
}

function functionName(node: ts.FunctionLikeDeclaration): string | undefined {
  if (node.name !== undefined) return node.name.getText()
  const parent = node.parent
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText()
  return undefined
}

function functionLengths(file: string, where: string): FunctionLength[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const found: FunctionLength[] = []
  const lineOf = (position: number): number => source.getLineAndCharacterOfPosition(position).line
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const name = functionName(node)
      const lines = lineOf(node.end) - lineOf(node.getStart()) + 1
      if (name !== undefined) found.push({ name, where: `${where}:${lineOf(node.getStart()) + 1}`, lines })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const [root, ...folders] = process.argv.slice(2)
if (root === undefined || folders.length === 0) {
  console.error('usage: npx tsx scripts/layout-figures.ts <checkout> <folder>...')
  process.exit(2)
}
const perFolder = new Map<string, { files: number; lines: number }>()
const functions: FunctionLength[] = []
for (const file of folders.flatMap(folder => filesUnder(join(root, folder)))) {
  const where = relative(root, file)
  const text = readFileSync(file, 'utf8')
  const key = file.endsWith('.ts') ? dirname(where) : `${dirname(where)} (other)`
  const counts = perFolder.get(key) ?? { files: 0, lines: 0 }
  counts.files += 1
  counts.lines += text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
  perFolder.set(key, counts)
  if (file.endsWith('.ts')) functions.push(...functionLengths(file, where))
}
let files = 0
let lines = 0
for (const [folder, counts] of [...perFolder].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`${folder.padEnd(36)} ${String(counts.files).padStart(4)} ${String(counts.lines).padStart(6)}`)
  files += counts.files
  lines += counts.lines
}
console.log(`${'total'.padEnd(36)} ${String(files).padStart(4)} ${String(lines).padStart(6)}\n\nlongest functions:`)
for (const f of functions.sort((a, b) => b.lines - a.lines).slice(0, 15)) {
  console.log(`${String(f.lines).padStart(4)}  ${f.name}  ${f.where}`)
}
