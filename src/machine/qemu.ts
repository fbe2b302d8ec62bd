import { open, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCommand } from '../util/process.js'
import {
  BINFMT_DIR,
  ENTRY_NAME,
  isStaticElf,
  matchesAarch64,
  parseBinfmtEntry,
  registrationLine,
  type BinfmtEntry
} from './binfmt.js'
import { runAsRoot, writeSystemFile } from '../util/privileged.js'
import { exists } from '../util/fs.js'

/** Where qemu-user-static puts it: Ubuntu and Debian up to bookworm, then Debian trixie and later. */
const DEFAULT_INTERPRETERS = ['/usr/bin/qemu-aarch64-static', '/usr/bin/qemu-aarch64']

export async function readBinfmtEntries(): Promise<BinfmtEntry[]> {
  let names: string[]
  try {
    names = await readdir(BINFMT_DIR)
  } catch {
    return []
  }
  const entries: BinfmtEntry[] = []
  for (const name of names) {
    if (name === 'register' || name === 'status') continue
    const entry = parseBinfmtEntry(name, await readFile(join(BINFMT_DIR, name), 'utf8').catch(() => ''))
    if (entry) entries.push(entry)
  }
  return entries
}

/**
 * binfmt_misc is mounted when its control files are there. Only look: `register` is
 * write-only, and reading it fails (EINVAL, even for root) although it is mounted.
 */
export async function binfmtMounted(dir = BINFMT_DIR): Promise<boolean> {
  return exists(join(dir, 'register'))
}

async function isStaticExecutable(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => undefined)
  if (!file) return false
  try {
    const head = Buffer.alloc(4096)
    const { bytesRead } = await file.read(head, 0, head.length, 0)
    return isStaticElf(head.subarray(0, bytesRead))
  } finally {
    await file.close()
  }
}

async function staticDefaultInterpreter(): Promise<string | undefined> {
  for (const path of DEFAULT_INTERPRETERS) if (await isStaticExecutable(path)) return path
  return undefined
}

/** Makes sure binfmt_misc is mounted and a static qemu-aarch64 exists (installing Debian/Ubuntu's package if not). */
export async function prepareInterpreter(
  interpreter: string | undefined,
  log: (line: string) => void
): Promise<string> {
  if (!(await binfmtMounted())) {
    log('mounting binfmt_misc')
    await runAsRoot('mount', ['-t', 'binfmt_misc', 'binfmt_misc', BINFMT_DIR])
  }
  if (interpreter !== undefined) {
    if (await exists(interpreter)) return interpreter
    throw new Error(`qemu-interpreter ${interpreter} does not exist: give the path of a static qemu-aarch64`)
  }
  const found = await staticDefaultInterpreter()
  if (found !== undefined) return found
  log('installing qemu-user-static')
  await runAsRoot('apt-get', ['update', '-qq']).catch(() => '')
  await runAsRoot('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', 'qemu-user-static'])
  const installed = await staticDefaultInterpreter()
  if (installed === undefined)
    throw new Error(
      `qemu-user-static was installed but no static qemu-aarch64 is at ${DEFAULT_INTERPRETERS.join(' or ')}: set qemu-interpreter`
    )
  return installed
}

/** Registers (or re-registers without F) and then proves it by reading /proc back. */
export async function registerAarch64(interpreter: string, replace: string | undefined): Promise<BinfmtEntry> {
  if (replace !== undefined) await writeSystemFile(join(BINFMT_DIR, replace), '-1')
  else if (await exists(join(BINFMT_DIR, ENTRY_NAME))) await writeSystemFile(join(BINFMT_DIR, ENTRY_NAME), '-1')
  await writeSystemFile(join(BINFMT_DIR, 'register'), registrationLine(interpreter))
  const entry = (await readBinfmtEntries()).find(e => e.name === ENTRY_NAME)
  if (!entry || !entry.enabled || !entry.flags.includes('F') || !matchesAarch64(entry)) {
    throw new Error(
      `registering ${interpreter} in ${BINFMT_DIR} did not take effect: the runner's kernel may not allow binfmt_misc`
    )
  }
  return entry
}

export async function qemuVersion(interpreter: string): Promise<string> {
  const { stdout } = await runCommand(interpreter, ['--version']).catch(() => ({ stdout: 'unknown version' }))
  return stdout.split('\n')[0]
}
