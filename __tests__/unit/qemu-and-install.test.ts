import { describe, expect, it } from '@jest/globals'
import { chmod, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isStaticElf, parseBinfmtEntry, registrationLine } from '../../src/machine/binfmt.js'
import { MULTI_USER_PROFILE_BIN, nixProfileBin } from '../../src/nix/install.js'
import { binfmtMounted } from '../../src/machine/qemu.js'
import { registerLineOf } from '../../harness/hosted/binfmt.js'

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

describe('binfmt_misc mount check', () => {
  it('looks for the control file without reading it (register is write-only)', async () => {
    const mounted = await mkdtemp(join(tmpdir(), 'binfmt-'))
    await writeFile(join(mounted, 'register'), '')
    await chmod(join(mounted, 'register'), 0o200)
    expect(await binfmtMounted(mounted)).toBe(true)
    expect(await binfmtMounted(await mkdtemp(join(tmpdir(), 'binfmt-empty-')))).toBe(false)
  })
})

describe('the harness restores a saved entry exactly as registered', () => {
  it('its register line is the one the action writes', () => {
    const text =
      'enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: F\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n'
    expect(registerLineOf(parseBinfmtEntry('qemu-aarch64', text)!)).toBe(
      registrationLine('/usr/bin/qemu-aarch64-static')
    )
  })
})

describe('where the installer puts nix', () => {
  it.each([
    ['multi-user (systemd)', true, MULTI_USER_PROFILE_BIN],
    ['single-user (no systemd)', false, '/home/runner/.nix-profile/bin']
  ])('%s', (_why, multiUser, bin) => {
    expect(nixProfileBin(multiUser, '/home/runner')).toBe(bin)
  })
})
