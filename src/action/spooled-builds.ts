import type { NixStore } from '../nix/store.js'
import { readWholeSpool } from './spool.js'

export interface SpooledBuilds {
  drvPaths: string[]
  /** Their outputs that are in the store. */
  outputs: string[]
}

/**
 * Everything the post-build hook spooled in this job, read once at the end. Most of it the build
 * already followed; what it adds is what was built while the hosts evaluated (import from
 * derivation) in a job that then had nothing to build, e.g. every host cached, where no build
 * read the spool at all.
 */
export async function spooledBuilds(spoolFile: string, store: NixStore): Promise<SpooledBuilds> {
  const drvPaths = new Set<string>()
  const outputs = new Set<string>()
  for (const entry of await readWholeSpool(spoolFile)) {
    drvPaths.add(entry.drvPath)
    // Nix 2.8.0's hook gets no OUT_PATHS; the derivation says what they are.
    const paths = entry.outPaths.length > 0 ? entry.outPaths : await store.derivationOutputs(entry.drvPath).catch(() => [])
    for (const path of paths) if (await store.isValid(path)) outputs.add(path)
  }
  return { drvPaths: [...drvPaths], outputs: [...outputs] }
}
