import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { lastLine } from '../src/util/process.js'
import { withDeadline } from './child.js'
import { config, NIX_COMMAND, NIX_OFFLINE, PUSH_SETTINGS, WRITE_TOKEN } from './config.js'
import { watchRss, type PeakRss } from './rss.js'
import type { NixInstall } from './runtimes.js'

export interface NixCopyResult {
  ms: number
  /** Only when sampled, as for our push. */
  peak?: PeakRss
  storeUri: string
}

/**
 * The peer: `nix copy` to the same server's plain binary-cache endpoint. Everything but
 * the compression method and level (set equal to ours) is left at Nix's defaults. The
 * token goes in through a netrc file, as a CI job would give it to Nix. `workDir` must be
 * under /tmp, which the modern-nix chroot shares.
 */
export async function runNixCopy(
  nix: NixInstall,
  cacheUrl: string,
  workDir: string,
  roots: string[],
  sampleRss = false,
  storeSettings: Record<string, string> = {}
): Promise<NixCopyResult> {
  const host = new URL(cacheUrl).hostname
  const netrc = join(workDir, 'netrc')
  await writeFile(netrc, `machine ${host} login bench password ${WRITE_TOKEN}\n`, { mode: 0o600 })
  const settings = new URLSearchParams({
    compression: 'zstd',
    'compression-level': String(PUSH_SETTINGS.compressionLevel),
    ...storeSettings
  })
  const storeUri = `${cacheUrl}?${settings.toString()}`
  const args = [...NIX_COMMAND, 'copy', ...NIX_OFFLINE, '--option', 'netrc-file', netrc, '--to', storeUri, ...roots]
  const started = performance.now()
  const child = spawn('nix', args, { stdio: ['ignore', 'ignore', 'pipe'], env: nix.env, detached: true })
  const watcher = sampleRss ? watchRss(child.pid ?? 0) : undefined
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const closed = new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', exitCode => resolve(exitCode ?? 1))
  })
  const code = await withDeadline(child, config.deadlineMs, `${nix.label} copy`, closed).finally(() => watcher?.stop())
  const ms = performance.now() - started
  const peak = watcher?.stop()
  if (code !== 0) throw new Error(`${nix.label} copy failed with exit code ${code}: ${lastLine(stderr)}`)
  return { ms, peak, storeUri }
}
