import { open } from 'node:fs/promises'
import type { NixStore } from '../nix/store.js'
import { parseSpool, type SpoolEntry } from './post-build-hook.js'

/** Follows the post-build-hook's spool file from where it last read. */
export class SpoolReader {
  private offset = 0
  private rest = ''
  private timer?: NodeJS.Timeout
  private reading: Promise<void> = Promise.resolve()

  constructor(
    private readonly file: string,
    private readonly onEntries: (entries: SpoolEntry[]) => void
  ) {}

  start(intervalMs = 250): void {
    this.timer = setInterval(() => {
      void this.poll()
    }, intervalMs)
  }

  /** Reads whatever is new now; resolves once it has been handed on. */
  poll(): Promise<void> {
    this.reading = this.reading.then(() => this.readNew()).catch(() => undefined)
    return this.reading
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.poll()
  }

  private async readNew(): Promise<void> {
    const handle = await open(this.file, 'r').catch(() => undefined)
    if (!handle) return
    try {
      const { size } = await handle.stat()
      if (size <= this.offset) return
      const buffer = Buffer.alloc(size - this.offset)
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset)
      this.offset += bytesRead
      const { entries, rest } = parseSpool(this.rest + buffer.subarray(0, bytesRead).toString('utf8'))
      this.rest = rest
      if (entries.length > 0) this.onEntries(entries)
    } finally {
      await handle.close()
    }
  }
}

/** Everything the spool holds, read once (the post step's salvage). */
async function readWholeSpool(file: string): Promise<SpoolEntry[]> {
  const collected: SpoolEntry[] = []
  const reader = new SpoolReader(file, entries => collected.push(...entries))
  await reader.poll()
  return collected
}

/**
 * The output paths of a spooled build: as the hook got them in OUT_PATHS, or from its
 * derivation when the hook was given none.
 */
export async function spooledOutputs(entry: SpoolEntry, store: NixStore): Promise<string[]> {
  return entry.outPaths.length > 0 ? entry.outPaths : store.derivationOutputs(entry.drvPath)
}

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
  const outputs: string[] = []
  for (const entry of await readWholeSpool(spoolFile)) {
    drvPaths.add(entry.drvPath)
    outputs.push(...(await spooledOutputs(entry, store).catch((): string[] => [])))
  }
  return { drvPaths: [...drvPaths], outputs: [...(await store.validPaths(outputs))] }
}
