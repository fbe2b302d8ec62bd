import { copyFile, cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCommand } from '../src/util/process.js'
import { checkOutForRunner, REPO } from './runner.js'

const BUSYBOX_DIR = process.env.AARCH64_BUSYBOX_DIR ?? '/tmp/nix-cachix-build-aarch64-busybox'

/** Unique per call, so every fixture builds fresh store paths. */
export function nonce(): string {
  return `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
}

/** A static aarch64 busybox (Debian's busybox-static for arm64), fetched once per machine. */
export async function aarch64Busybox(): Promise<string> {
  const binary = join(BUSYBOX_DIR, 'busybox')
  if (!existsSync(binary)) await runCommand('bash', [join(REPO, 'harness', 'aarch64-busybox.sh'), BUSYBOX_DIR])
  return binary
}

/** What an upstream cache (cache.nixos.org to cachix.org) holds of the fleet: zlib and openssl at this version. */
export interface UpstreamPackages {
  /** The same in every copy of the fleet that shares the upstream, so the store paths are too. */
  nonce: string
  openssl: string
}

export interface FixtureOptions {
  broken?: boolean
  slow?: boolean
  settings?: { substituters: string[]; 'trusted-public-keys': string[] }
  /** Every host's closure gets the upstream's openssl and zlib. */
  upstream?: UpstreamPackages
  tag?: string
}

/** The fixture flake's files in `dir`, with its own nonce (fresh store paths) and the aarch64 shell. */
export async function writeSampleFlake(dir: string, options: FixtureOptions = {}): Promise<void> {
  await cp(join(REPO, 'harness', 'sample-flake'), dir, { recursive: true })
  await writeFile(join(dir, 'nonce.txt'), options.tag ?? nonce())
  await mkdir(join(dir, 'aarch64'), { recursive: true })
  await copyFile(await aarch64Busybox(), join(dir, 'aarch64', 'busybox'))
  if (options.broken) await writeFile(join(dir, 'enable-broken'), '')
  if (options.slow) await writeFile(join(dir, 'enable-slow'), '')
  if (options.settings) await writeFile(join(dir, 'settings.json'), JSON.stringify(options.settings))
  if (options.upstream) await writeFile(join(dir, 'upstream.json'), JSON.stringify(options.upstream))
}

/** A copy of the fixture flake with its own nonce (fresh store paths) and the aarch64 shell. */
export async function sampleFlake(options: FixtureOptions = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fixture-flake-'))
  await writeSampleFlake(dir, options)
  // The workspace a hosted runner checks out belongs to the runner user.
  await checkOutForRunner(dir)
  return dir
}
