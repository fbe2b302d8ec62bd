import { describe, expect, it } from '@jest/globals'
import { stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname } from 'node:path'

describe("the tests' temporary directory", () => {
  it('is one per run, shared as /tmp is, so the run can remove what its tests leave', async () => {
    const dir = tmpdir()
    expect(basename(dir)).toMatch(/^nix-cachix-build-tests-\d+-\w{6}$/)
    expect(dirname(dir)).toBe(process.env.NIX_CACHIX_BUILD_TESTS_TMPDIR_BASE)
    expect((await stat(dir)).mode & 0o7777).toBe(0o1777)
  })
})
