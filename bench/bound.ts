import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { exited, firstJsonLine, spawnChild } from './child.js'
import { MiB, PUSH_SETTINGS } from './config.js'
import type { BoundResult } from './bound-child.js'
import { nodeRuntimes } from './runtimes.js'

export const BOUND_FRAME_BYTES = 8 * MiB

async function runBound(
  mode: 'compress' | 'read',
  storeRoot: string,
  paths: string[],
  workDir: string
): Promise<BoundResult> {
  // The path list goes through a file: a closure's paths do not fit an argument list.
  const list = join(workDir, `bound-${mode}-${process.pid}.json`)
  const request = { mode, storeRoot, paths, level: PUSH_SETTINGS.compressionLevel, frameBytes: BOUND_FRAME_BYTES }
  await writeFile(list, JSON.stringify(request))
  const child = await spawnChild('bound-child', [`@${list}`], { node: (await nodeRuntimes()).node24.bin })
  child.stdin?.end()
  const result = await firstJsonLine<BoundResult>(child)
  const code = await exited(child)
  await rm(list, { force: true })
  if (code !== 0) throw new Error(`the bound child exited with code ${code}`)
  return result
}

/** NAR serialisation in process + zstd at our level on every core, frames of BOUND_FRAME_BYTES. */
export function compressionBound(storeRoot: string, paths: string[], workDir: string): Promise<BoundResult> {
  return runBound('compress', storeRoot, paths, workDir)
}

/** Reads every NAR once, untimed, so no measurement pays for a cold page cache. */
export async function warmPageCache(
  storeRoot: string,
  paths: string[],
  workDir: string,
  expectedNarBytes?: number
): Promise<void> {
  const { narBytes } = await runBound('read', storeRoot, paths, workDir)
  if (expectedNarBytes !== undefined && narBytes !== expectedNarBytes) {
    throw new Error(
      `the NARs under ${storeRoot || '/'} are ${narBytes} bytes, the store says ${expectedNarBytes}: the fixture is damaged`
    )
  }
}
