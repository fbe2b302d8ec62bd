import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { StepResult } from '../../harness/runner.js'

/** Lines that carry a secret other than the toolkit's own ::add-mask:: command. */
export function leakedLines(text: string, secrets: string[]): string[] {
  return text
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::') && secrets.some(s => s !== '' && line.includes(s)))
}

export function leaksInStep(result: StepResult, secrets: string[]): string[] {
  const texts = [
    result.stdout,
    result.stderr,
    result.summary,
    ...Object.values(result.outputs),
    ...Object.values(result.state)
  ]
  return texts.flatMap(text => leakedLines(text, secrets))
}

/** Every file under `dir` whose content contains a secret. */
export async function filesWithSecrets(dir: string, secrets: string[]): Promise<string[]> {
  const found: string[] = []
  const walk = async (path: string): Promise<void> => {
    const info = await stat(path).catch(() => undefined)
    if (!info) return
    if (info.isDirectory()) {
      for (const name of await readdir(path)) await walk(join(path, name))
    } else if (info.isFile() && info.size < 10_000_000) {
      const text = await readFile(path, 'utf8').catch(() => '')
      if (secrets.some(s => s !== '' && text.includes(s))) found.push(path)
    }
  }
  await walk(dir)
  return found
}
