import { describe, expect, it } from '@jest/globals'
import {
  decideQemu,
  matchesAarch64,
  parseBinfmtEntry,
  registrationLine,
  isStaticElf
} from '../../../src/machine/binfmt.js'

const DEBIAN_ENTRY = `enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: POF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`

const F_ENTRY = DEBIAN_ENTRY.replace('flags: POF', 'flags: F').replace(
  '/usr/libexec/qemu-binfmt/aarch64-binfmt-P',
  '/usr/bin/qemu-aarch64-static'
)

const RISCV_ENTRY = DEBIAN_ENTRY.replace('0200b700', '0200f300')

const NO_F_ENTRY = DEBIAN_ENTRY.replace('flags: POF', 'flags: OC')

/** An ELF64 little-endian header followed by program headers of the given types. */
function elf(programHeaderTypes: number[], options: { bits?: 1 | 2; truncate?: number } = {}): Buffer {
  const header = Buffer.alloc(64 + 56 * programHeaderTypes.length)
  Buffer.from('7f454c46', 'hex').copy(header, 0)
  header[4] = options.bits ?? 2
  header[5] = 1
  header.writeBigUInt64LE(64n, 32)
  header.writeUInt16LE(56, 54)
  header.writeUInt16LE(programHeaderTypes.length, 56)
  programHeaderTypes.forEach((type, i) => header.writeUInt32LE(type, 64 + 56 * i))
  return options.truncate === undefined ? header : header.subarray(0, options.truncate)
}

describe('binfmt', () => {
  const entry = (text: string, name = 'qemu-aarch64') => parseBinfmtEntry(name, text)!
  it('matches aarch64 entries by bytes, whatever their name', () => {
    expect(matchesAarch64(entry(DEBIAN_ENTRY, 'aarch64-linux'))).toBe(true)
    expect(matchesAarch64(entry(RISCV_ENTRY))).toBe(false)
  })
  it.each([
    ['x86 leg', 'x86_64-linux', 'x86_64-linux', 'auto', [], 'skip'],
    ['native arm runner', 'aarch64-linux', 'aarch64-linux', 'auto', [], 'skip'],
    ['qemu false', 'aarch64-linux', 'x86_64-linux', 'false', [], 'skip'],
    ['nothing registered', 'aarch64-linux', 'x86_64-linux', 'auto', [], 'register'],
    ['registered without F (flags OC)', 'aarch64-linux', 'x86_64-linux', 'auto', [NO_F_ENTRY], 'replace'],
    ['registered by Debian (flags POF)', 'aarch64-linux', 'x86_64-linux', 'auto', [DEBIAN_ENTRY], 'skip'],
    ['registered with F', 'aarch64-linux', 'x86_64-linux', 'auto', [F_ENTRY], 'skip'],
    ['only another architecture', 'aarch64-linux', 'x86_64-linux', 'auto', [RISCV_ENTRY], 'register']
  ] as const)('%s: %s on %s → %s', (_why, target, native, mode, entries, action) => {
    expect(
      decideQemu(
        target,
        native,
        mode,
        entries.map(t => entry(t))
      ).action
    ).toBe(action)
  })
  it('registers with the F flag and the standard magic', () => {
    expect(registrationLine('/usr/bin/qemu-aarch64-static')).toBe(
      ':qemu-aarch64:M:0:\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/bin/qemu-aarch64-static:F'
    )
  })
})

describe('static interpreter check', () => {
  it.each([
    ['static (LOAD, NOTE, GNU_STACK)', elf([1, 1, 4, 0x6474e551]), true],
    ['static PIE (PHDR, LOAD, DYNAMIC, no INTERP)', elf([6, 1, 2]), true],
    ['dynamic (PHDR, INTERP, LOAD)', elf([6, 3, 1]), false],
    ['32-bit ELF', elf([1], { bits: 1 }), false],
    ['program headers cut off', elf([1, 3], { truncate: 100 }), false],
    ['not an ELF file', Buffer.from('#!/bin/sh\necho hi\n'.padEnd(64, ' ')), false]
  ])('%s', (_why, head, expected) => {
    expect(isStaticElf(head)).toBe(expected)
  })
})
