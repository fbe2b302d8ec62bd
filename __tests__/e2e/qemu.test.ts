import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { aarch64Entries, binfmtMounts, withoutAarch64Binfmt } from '../../harness/hosted/binfmt.js'
import { defaultProfile, newJob, type RunnerProfile } from '../../harness/runner.js'
import { sampleFlake } from '../../harness/sample-flake.js'
import { leg, type Server } from '../support/legs.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

// The hosted runner as on GitHub, and root on a self-hosted x86 machine (the action writes
// binfmt_misc itself there, without sudo): both start with no aarch64 interpreter.
const profiles: RunnerProfile[] = defaultProfile() === 'hosted' ? ['hosted', 'root'] : ['root']

describe.each(profiles)('QEMU from nothing on an x86 runner (%s profile)', profile => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: 'fleet', writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  it('registers aarch64 with F without mounting binfmt_misc again, builds the aarch64 host, and a second run reuses the entry', async () => {
    await withoutAarch64Binfmt(async () => {
      expect(await aarch64Entries()).toEqual([])
      const mounts = await binfmtMounts()
      expect(mounts).toBe(1)

      const first = await leg(
        server,
        await sampleFlake(),
        { system: 'aarch64-linux' },
        await newJob(undefined, { profile })
      )
      expect(first.main.code).toBe(0)
      // binfmt_misc is mounted: its write-only `register` must not be taken for a missing mount.
      expect(first.main.stdout).not.toContain('mounting binfmt_misc')
      expect(await binfmtMounts()).toBe(mounts)
      expect(first.main.stdout).toMatch(/Registered \/usr\/bin\/qemu-aarch64\S* for aarch64 ELF with flags F/)
      const registered = await aarch64Entries()
      expect(registered).toEqual([
        expect.objectContaining({ name: 'qemu-aarch64', enabled: true, flags: expect.stringContaining('F') as unknown })
      ])
      // The arm host's derivations have an aarch64 busybox as builder: they ran under QEMU.
      expect(Object.keys(JSON.parse(first.main.outputs.hosts) as object)).toEqual(['arm'])
      expect(first.main.outputs.built).toBe('4')
      expect(first.main.outputs.coverage).toBe('100%')

      const second = await leg(
        server,
        await sampleFlake(),
        { system: 'aarch64-linux' },
        await newJob(undefined, { profile })
      )
      expect(second.main.code).toBe(0)
      expect(second.main.stdout).toMatch(
        /No emulation: already registered as qemu-aarch64 \(\/usr\/bin\/qemu-aarch64\S*, flags F\)/
      )
      expect(second.main.outputs.built).toBe('4')
      expect(await aarch64Entries()).toEqual(registered)
      expect(await binfmtMounts()).toBe(mounts)
    })
  }, 300_000)
})
