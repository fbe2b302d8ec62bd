import { join } from 'node:path'
import { config, GiB } from './config.js'
import { ContentGenerator } from './content.js'
import { Prng } from './prng.js'
import {
  addGcRoot,
  addToStore,
  allValid,
  narSizes,
  readManifest,
  removeTree,
  writeGenerated,
  writeManifest
} from './store.js'

export interface BigFixture {
  path: string
  narBytes: number
}

/** One store path holding one 2 GiB × scale file of moderately compressible bytes. */
export async function bigFixture(log: (line: string) => void): Promise<BigFixture> {
  const home = join(config.dir, 'fixtures', `big-s${config.seed}-x${config.scale}`)
  const manifestFile = join(home, 'manifest.json')
  const cached = await readManifest<BigFixture>(manifestFile)
  if (cached && (await allValid([cached.path]))) {
    log(`big fixture: reusing ${cached.path}`)
    return cached
  }
  const started = Date.now()
  const staging = join(home, 'staging')
  await removeTree(staging)
  const file = join(staging, `bench-s${config.seed}-big-nar`)
  await writeGenerated(
    file,
    Math.round(2 * GiB * config.scale),
    'mixed',
    new ContentGenerator(new Prng(config.seed ^ 0xb16))
  )
  const [path] = await addToStore([file])
  await removeTree(staging)
  await addGcRoot(path, join(home, 'root'))
  const fixture: BigFixture = { path, narBytes: await narSizes([path]) }
  await writeManifest(manifestFile, fixture)
  log(`big fixture: generated ${path} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return fixture
}
