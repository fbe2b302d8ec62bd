// QEMU from nothing: a GitHub-hosted x86 runner has binfmt_misc mounted and no aarch64 entry.
// binfmt_misc is one table for the whole kernel, so a scenario takes this machine's aarch64
// entries out, runs, and puts them back exactly as they were. Scenarios run one at a time, also
// across test processes (a lock file); anything else that builds aarch64 meanwhile may fail.
import { spawn } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { BINFMT_DIR, matchesAarch64, type BinfmtEntry } from '../../src/machine/binfmt.js'
import { readBinfmtEntries } from '../../src/machine/qemu.js'
import { runCommand } from '../../src/util/process.js'

export async function aarch64Entries(): Promise<BinfmtEntry[]> {
  return (await readBinfmtEntries()).filter(matchesAarch64)
}

/** How many times binfmt_misc is mounted at its place (more than 1: something mounted it over itself). */
export async function binfmtMounts(): Promise<number> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8')
  return mountinfo.split('\n').filter(line => line.split(' ')[4] === BINFMT_DIR && line.includes(' - binfmt_misc '))
    .length
}

/** The register line that recreates `entry` (magic entries only, which is what aarch64 ones are). */
export function registerLineOf(entry: BinfmtEntry): string {
  const hex = (bytes: Buffer): string => [...bytes].map(b => `\\x${b.toString(16).padStart(2, '0')}`).join('')
  return `:${entry.name}:M:${entry.offset}:${hex(entry.magic)}:${hex(entry.mask)}:${entry.interpreter}:${entry.flags.replace(/[^A-Z]/g, '')}`
}

async function unregister(entry: BinfmtEntry): Promise<void> {
  await writeFile(join(BINFMT_DIR, entry.name), '-1')
}

const LOCK = '/tmp/nix-cachix-build-hosted/binfmt.lock'
const SAVED = '/tmp/nix-cachix-build-hosted/binfmt.saved.json'

interface SavedEntry {
  line: string
  name: string
  enabled: boolean
}

/** Holds the machine-wide QEMU scenario lock until the returned function is called (or this process dies). */
async function lockBinfmt(): Promise<() => void> {
  await mkdir(dirname(LOCK), { recursive: true, mode: 0o755 })
  const holder = spawn('flock', ['--exclusive', LOCK, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit']
  })
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject)
    holder.once('exit', code => reject(new Error(`flock ${LOCK} exited ${code}`)))
    holder.stdout.once('data', () => resolve())
  })
  holder.removeAllListeners('exit')
  return () => holder.stdin.end()
}

/**
 * Runs `scenario` on a machine whose binfmt_misc is mounted and has no aarch64 entry, then
 * removes whatever aarch64 entries the scenario registered and restores the saved ones.
 */
export async function withoutAarch64Binfmt<T>(scenario: () => Promise<T>): Promise<T> {
  const unlock = await lockBinfmt()
  try {
    if ((await binfmtMounts()) === 0) await runCommand('mount', ['-t', 'binfmt_misc', 'binfmt_misc', BINFMT_DIR])
    // A scenario killed before it restored left the machine's entries here: they are the ones to keep.
    const left = await readFile(SAVED, 'utf8').then(
      text => JSON.parse(text) as SavedEntry[],
      () => undefined
    )
    const saved =
      left ?? (await aarch64Entries()).map(e => ({ line: registerLineOf(e), name: e.name, enabled: e.enabled }))
    await writeFile(SAVED, JSON.stringify(saved))
    for (const entry of await aarch64Entries()) await unregister(entry)
    try {
      return await scenario()
    } finally {
      for (const entry of await aarch64Entries()) await unregister(entry)
      for (const entry of saved) {
        await writeFile(join(BINFMT_DIR, 'register'), entry.line)
        if (!entry.enabled) await writeFile(join(BINFMT_DIR, entry.name), '0')
      }
      await rm(SAVED, { force: true })
    }
  } finally {
    unlock()
  }
}
