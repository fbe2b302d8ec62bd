// The standard aarch64 ELF match (qemu's qemu-binfmt-conf.sh, Debian, tonistiigi/binfmt):
// 64-bit little-endian ELF, e_type EXEC or DYN (mask 0xfe), e_machine 0xB7.
const AARCH64_MAGIC = '7f454c460201010000000000000000000200b700'
const AARCH64_MASK = 'ffffffffffffff00fffffffffffffffffeffffff'
export const BINFMT_DIR = '/proc/sys/fs/binfmt_misc'
export const ENTRY_NAME = 'qemu-aarch64'

export interface BinfmtEntry {
  name: string
  enabled: boolean
  interpreter: string
  flags: string
  offset: number
  magic: Buffer
  mask: Buffer
}

export function parseBinfmtEntry(name: string, text: string): BinfmtEntry | undefined {
  const lines = text.split('\n')
  const field = (key: string): string | undefined =>
    lines.find(l => l.startsWith(`${key} `) || l.startsWith(`${key}:`))?.replace(/^[a-z]+:?\s*/, '')
  const magic = field('magic')
  if (magic === undefined) return undefined
  return {
    name,
    enabled: lines[0]?.trim() === 'enabled',
    interpreter: field('interpreter') ?? '',
    flags: field('flags') ?? '',
    offset: Number(field('offset') ?? '0'),
    magic: Buffer.from(magic, 'hex'),
    mask: Buffer.from(field('mask') ?? 'ff'.repeat(magic.length / 2), 'hex')
  }
}

function sampleHeader(eType: number): Buffer {
  const header = Buffer.alloc(20)
  Buffer.from('7f454c46020101', 'hex').copy(header, 0)
  header[16] = eType
  header[18] = 0xb7
  return header
}

/** True when the entry would run aarch64 executables (static and PIE), whatever it is named. */
export function matchesAarch64(entry: BinfmtEntry): boolean {
  return [2, 3].every(eType => {
    const header = sampleHeader(eType)
    for (let i = 0; i < entry.magic.length; i++) {
      const byte = header[entry.offset + i] ?? 0
      if ((byte & (entry.mask[i] ?? 0xff)) !== entry.magic[i]) return false
    }
    return true
  })
}

/**
 * The register line. F makes the kernel open the interpreter now, so it still runs inside the
 * Nix sandbox's mount namespace where /usr/bin does not exist.
 */
export function registrationLine(interpreter: string): string {
  const escape = (hex: string): string => hex.replace(/(..)/g, '\\x$1')
  return `:${ENTRY_NAME}:M:0:${escape(AARCH64_MAGIC)}:${escape(AARCH64_MASK)}:${interpreter}:F`
}

/**
 * True for a 64-bit little-endian ELF without a PT_INTERP program header, i.e. one that needs no
 * dynamic loader, which an F-flag interpreter must be: builds run where /lib may not exist.
 * `head` is the file's start (its program headers sit right after the ELF header).
 */
export function isStaticElf(head: Buffer): boolean {
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return false
  const phoff = Number(head.readBigUInt64LE(32))
  const phentsize = head.readUInt16LE(54)
  const phnum = head.readUInt16LE(56)
  if (phentsize < 4 || phoff + phnum * phentsize > head.length) return false
  for (let i = 0; i < phnum; i++) if (head.readUInt32LE(phoff + i * phentsize) === 3) return false
  return true
}

export type QemuDecision =
  { action: 'skip'; reason: string } | { action: 'register' } | { action: 'replace'; entry: string }

export function decideQemu(
  targetSystem: string,
  native: string | undefined,
  mode: 'auto' | 'true' | 'false',
  entries: BinfmtEntry[]
): QemuDecision {
  if (mode === 'false') return { action: 'skip', reason: 'qemu is false' }
  if (targetSystem !== 'aarch64-linux') return { action: 'skip', reason: `${targetSystem} needs no emulation` }
  if (native === 'aarch64-linux') return { action: 'skip', reason: 'the runner is native aarch64' }
  const existing = entries.find(e => e.enabled && matchesAarch64(e))
  if (existing && existing.flags.includes('F'))
    return {
      action: 'skip',
      reason: `already registered as ${existing.name} (${existing.interpreter}, flags ${existing.flags})`
    }
  if (existing) return { action: 'replace', entry: existing.name }
  return { action: 'register' }
}
