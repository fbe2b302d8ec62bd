import { spawn } from 'node:child_process'
import { runCommand } from '../src/util/process.js'
import type { NixInstall } from './runtimes.js'

async function allValidIn(nix: NixInstall, paths: string[]): Promise<boolean> {
  const { code } = await runCommand('nix-store', ['--check-validity', ...paths], { env: nix.env, okCodes: [1] })
  return code === 0
}

/**
 * Makes `closure` (dependencies first, as `nix-store -qR` lists it) valid in another Nix's
 * store by `nix-store --export | nix-store --import`: the same paths, the same NARs, so both
 * Nix versions push exactly the same bytes.
 */
export async function ensureInStore(nix: NixInstall, closure: string[], log: (line: string) => void): Promise<void> {
  if (nix.storeRoot === '' || (await allValidIn(nix, closure))) return
  const started = Date.now()
  const exporter = spawn('nix-store', ['--export', ...closure], { stdio: ['ignore', 'pipe', 'inherit'] })
  const importer = spawn('nix-store', ['--import'], { stdio: ['pipe', 'ignore', 'inherit'], env: nix.env })
  exporter.stdout.pipe(importer.stdin)
  const codes = await Promise.all(
    [exporter, importer].map(child => new Promise<number>(resolve => child.once('close', code => resolve(code ?? 1))))
  )
  if (codes.some(c => c !== 0) || !(await allValidIn(nix, closure)))
    throw new Error(
      `copying ${closure.length} paths into the ${nix.label} store failed (export/import exit codes ${codes.join(', ')})`
    )
  log(
    `copied ${closure.length} paths into the ${nix.label} store at ${nix.storeRoot} in ${((Date.now() - started) / 1000).toFixed(1)} s`
  )
}
