import { describe, expect, it } from '@jest/globals'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sampleFlake } from '../../harness/sample-flake.js'
import { configurationNames } from '../../src/hosts/flake.js'

describe('the configuration names of a flake', () => {
  it('are read on a store nothing has opened yet, as a laptop check does, every time', async () => {
    const flake = await sampleFlake()
    // The evaluations of the three kinds once raced to create a fresh store's database; Nix 2.34
    // lost about one run in ten with "SQLite database … is busy". Twenty fresh stores make that visible.
    for (let attempt = 0; attempt < 20; attempt++) {
      const store = await mkdtemp(join(tmpdir(), 'fresh-names-store-'))
      const names = await configurationNames(flake, { ...process.env, NIX_CONFIG: `store = ${store}\n` })
      expect(names).toEqual({ nixos: ['alpha', 'arm', 'beta'], darwin: [], home: [] })
    }
  }, 120_000)
})
