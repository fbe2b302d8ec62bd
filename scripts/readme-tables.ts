import { parse } from 'yaml'

interface ActionSpec {
  inputs?: Record<string, { description: string; default?: string }>
  outputs?: Record<string, { description: string }>
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

/** Markdown tables of an action's inputs and outputs, exactly as action.yml states them. */
export function actionTables(actionYaml: string): string {
  const spec = parse(actionYaml) as ActionSpec
  const lines = ['| input | default | meaning |', '|---|---|---|']
  for (const [name, input] of Object.entries(spec.inputs ?? {})) {
    const fallback = input.default === undefined || input.default === '' ? '' : `\`${cell(input.default)}\``
    lines.push(`| \`${name}\` | ${fallback} | ${cell(input.description)} |`)
  }
  lines.push('', '| output | meaning |', '|---|---|')
  for (const [name, output] of Object.entries(spec.outputs ?? {}))
    lines.push(`| \`${name}\` | ${cell(output.description)} |`)
  return lines.join('\n')
}

/** `readme` with the text between `<!-- begin NAME -->` and `<!-- end NAME -->` replaced. */
export function replaceSection(readme: string, name: string, body: string): string {
  const begin = `<!-- begin ${name} -->`
  const end = `<!-- end ${name} -->`
  const start = readme.indexOf(begin)
  const stop = readme.indexOf(end)
  if (start < 0 || stop < start) throw new Error(`README has no ${begin} … ${end} section`)
  return `${readme.slice(0, start + begin.length)}\n${body}\n${readme.slice(stop)}`
}
