import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeNix32 } from '../src/nix/format/base32.js'
import { renderNarInfo } from '../src/nix/format/narinfo.js'
import { STORE_DIR } from '../src/nix/format/store-path.js'
import { Prng } from './prng.js'

export interface MissingFixture {
  all: string[]
  present: string[]
}

/** `count` distinct store hashes; every other one counts as already in the cache. */
export function syntheticHashes(seed: number, count: number): MissingFixture {
  const prng = new Prng(seed)
  const seen = new Set<string>()
  while (seen.size < count) {
    const bytes = Buffer.alloc(20)
    for (let i = 0; i < 20; i += 4) bytes.writeUInt32LE(prng.next(), i)
    seen.add(encodeNix32(bytes))
  }
  const all = [...seen]
  return { all, present: all.filter((_, i) => i % 2 === 0) }
}

/** Real narinfo files in the cache's directory, so both the bulk query and per-path GETs see them. */
export async function writePresentNarInfos(dataDir: string, cache: string, present: string[]): Promise<void> {
  const root = join(dataDir, cache)
  await mkdir(root, { recursive: true })
  const narHash = `sha256:${'0'.repeat(52)}`
  for (const hash of present) {
    const text = renderNarInfo({
      storePath: `${STORE_DIR}/${hash}-synthetic`,
      url: `nar/${hash}.nar.zst`,
      compression: 'zstd',
      narHash,
      narSize: 1024,
      references: [],
      sigs: []
    })
    await writeFile(join(root, `${hash}.narinfo`), text)
  }
}
