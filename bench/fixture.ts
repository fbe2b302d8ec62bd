import { join } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { runCommand } from '../src/util/process.js'
import { config, MiB, NIX_OFFLINE } from './config.js'
import { ContentGenerator, type ContentKind } from './content.js'
import { Prng } from './prng.js'
import { addToStore, allValid, narSizes, readManifest, removeTree, writeGenerated, writeManifest } from './store.js'

export interface ClosureFixture {
  root: string
  /** The generated leaves; the closure is these plus the root. */
  leaves: string[]
  closure: string[]
  narBytes: number
}

interface PathPlan {
  name: string
  kind: ContentKind
  files: number[]
}

// Shaped like a real system closure: a long tail of small packages, some mid-size
// libraries and a few big ones (compilers, browsers) that dominate the bytes.
const SMALL = { count: 252, min: 2 * 1024, max: MiB }
const MEDIUM = { count: 40, min: 2 * MiB, max: 16 * MiB }
const LARGE = { count: 8, min: 60 * MiB, max: 100 * MiB }

function plan(seed: number, scale: number): PathPlan[] {
  const prng = new Prng(seed)
  const scaled = (bytes: number): number => Math.max(64, Math.round(bytes * scale))
  const pickKind = (): ContentKind => {
    const x = prng.float()
    return x < 0.45 ? 'text' : x < 0.8 ? 'mixed' : 'random'
  }
  const plans: PathPlan[] = []
  const add = (tier: string, kind: ContentKind, total: number, fileCount: number): void => {
    // Split a path's bytes over a few files so its NAR has a directory tree, as packages do.
    const weights = Array.from({ length: fileCount }, () => 0.2 + prng.float())
    const sum = weights.reduce((a, b) => a + b, 0)
    const files = weights.map(w => scaled((total * w) / sum))
    plans.push({ name: `bench-s${seed}-${String(plans.length).padStart(3, '0')}-${tier}-${kind}`, kind, files })
  }
  for (let i = 0; i < SMALL.count; i++) add('small', pickKind(), prng.logUniform(SMALL.min, SMALL.max), prng.int(1, 4))
  for (let i = 0; i < MEDIUM.count; i++)
    add('medium', pickKind(), prng.logUniform(MEDIUM.min, MEDIUM.max), prng.int(1, 3))
  const largeKinds: ContentKind[] = ['mixed', 'text', 'random', 'mixed', 'mixed', 'text', 'random', 'mixed']
  for (let i = 0; i < LARGE.count; i++)
    add('large', largeKinds[i % largeKinds.length], prng.int(LARGE.min, LARGE.max), 1)
  return plans
}

/** A root whose output references every leaf, so the closure of one path is the whole fixture. */
export function rootExpression(name: string, leaves: string[]): string {
  const list = leaves.map(p => `"${p}"`).join(' ')
  return `derivation {
  name = "${name}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  leaves = map builtins.storePath [ ${list} ];
  args = [ "-c" "for p in $leaves; do echo $p; done > $out" ];
}
`
}

/** The ~1 GiB × scale closure of ~300 paths; reused while its store paths stay valid. */
export async function closureFixture(log: (line: string) => void): Promise<ClosureFixture> {
  const home = join(config.dir, 'fixtures', `closure-s${config.seed}-x${config.scale}`)
  const manifestFile = join(home, 'manifest.json')
  const cached = await readManifest<ClosureFixture>(manifestFile)
  if (cached && (await allValid([cached.root, ...cached.leaves]))) {
    log(`closure fixture: reusing ${cached.closure.length} valid paths from ${manifestFile}`)
    return cached
  }
  const started = Date.now()
  const generator = new ContentGenerator(new Prng(config.seed ^ 0x5eed))
  const staging = join(home, 'staging')
  await removeTree(staging)
  const plans = plan(config.seed, config.scale)
  const dirs: string[] = []
  for (const p of plans) {
    const dir = join(staging, p.name)
    for (const [i, size] of p.files.entries()) {
      const file = i === 0 ? join(dir, 'bin', p.name) : join(dir, 'share', `part-${i}`)
      await writeGenerated(file, size, p.kind, generator)
    }
    dirs.push(dir)
  }
  const leaves = await addToStore(dirs)
  await removeTree(staging)
  const fixture = await withRoot(home, `bench-s${config.seed}-closure-root`, leaves)
  await writeManifest(manifestFile, fixture)
  log(`closure fixture: generated ${fixture.closure.length} paths in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return fixture
}

/** Builds the root over `leaves` (its out-link a GC root) and reads the closure and its NAR size. */
export async function withRoot(home: string, name: string, leaves: string[]): Promise<ClosureFixture> {
  const expressionFile = join(home, 'root.nix')
  await writeFile(expressionFile, rootExpression(name, leaves))
  // The out-link is a GC root: a garbage collection between runs does not force a regeneration.
  const { stdout } = await runCommand('nix-build', [expressionFile, '--out-link', join(home, 'root'), ...NIX_OFFLINE])
  const root = stdout.trim().split('\n').pop() ?? ''
  const closure = (await runCommand('nix-store', ['--query', '--requisites', root])).stdout
    .split('\n')
    .filter(l => l !== '')
  return { root, leaves, closure, narBytes: await narSizes(closure) }
}
