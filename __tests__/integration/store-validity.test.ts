import { describe, expect, it } from '@jest/globals'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NixStore } from '../../src/nix/store.js'
import { runCommand } from '../../src/util/process.js'

describe('validity of many paths in one call', () => {
  it('keeps the valid paths, in order and once each, and drops the invalid ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validity-'))
    const file = join(dir, `validity-${process.pid}-${Date.now()}`)
    await writeFile(file, 'valid\n')
    const added = (await runCommand('nix-store', ['--add', file])).stdout.trim()
    const absent = '/nix/store/00000000000000000000000000000000-never-built'
    const store = new NixStore()
    expect([...(await store.validPaths([absent, added, added]))]).toEqual([added])
    expect([...(await store.validPaths([]))]).toEqual([])
    expect(await store.isValid(added)).toBe(true)
    expect(await store.isValid(absent)).toBe(false)
  })
})
