import { describe, expect, it } from '@jest/globals'
import { chmod, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { binfmtMounted } from '../../../src/machine/qemu.js'

describe('binfmt_misc mount check', () => {
  it('looks for the control file without reading it (register is write-only)', async () => {
    const mounted = await mkdtemp(join(tmpdir(), 'binfmt-'))
    await writeFile(join(mounted, 'register'), '')
    await chmod(join(mounted, 'register'), 0o200)
    expect(await binfmtMounted(mounted)).toBe(true)
    expect(await binfmtMounted(await mkdtemp(join(tmpdir(), 'binfmt-empty-')))).toBe(false)
  })
})
