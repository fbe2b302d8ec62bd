import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compressorArgs } from '../src/push/compressor.js'
import { PUSH_SETTINGS } from './config.js'

// One process per path, in sequence, each pipeline exactly dump → the compressor the
// engine starts; a failing dump or compressor fails the whole script.
const SCRIPT = `set -euo pipefail
while IFS= read -r path; do
  nix-store --dump "$path" | "$@" > /dev/null
done < "$LIST"
`

/** Wall time of `nix-store --dump P | zstd …` for every path, one after the other. */
export async function compressionBound(paths: string[], workDir: string): Promise<number> {
  const list = join(workDir, 'bound-paths.txt')
  const script = join(workDir, 'bound.sh')
  await writeFile(list, `${paths.join('\n')}\n`)
  await writeFile(script, SCRIPT)
  const [command, args] = compressorArgs(PUSH_SETTINGS.compression, PUSH_SETTINGS.compressionLevel)
  return timeBash(script, [command, ...args], { LIST: list })
}

/** Reads every NAR once, untimed, so no measurement pays for a cold page cache. */
export async function warmPageCache(paths: string[], workDir: string): Promise<void> {
  const list = join(workDir, 'warm-paths.txt')
  const script = join(workDir, 'warm.sh')
  await writeFile(list, `${paths.join('\n')}\n`)
  await writeFile(script, SCRIPT)
  await timeBash(script, ['cat'], { LIST: list })
}

async function timeBash(script: string, args: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now()
  const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } })
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', exitCode => resolve(exitCode ?? 1))
  })
  if (code !== 0) throw new Error(`bash ${script} failed with exit code ${code}`)
  return performance.now() - started
}
