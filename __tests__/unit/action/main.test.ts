import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import type { Inputs } from '../../../src/action/inputs.js'
import { coreStandIn, withInputs } from '../../support/core.js'

// runMain with every phase replaced: what runs, in which group, in which order, and what each
// phase is handed. The phases themselves are tested on their own and, together, by the e2e.
const calls: string[] = []
const record =
  <T>(name: string, result: T) =>
  (...args: unknown[]): Promise<T> => {
    calls.push(name)
    handed.set(name, args)
    return Promise.resolve(result)
  }
const handed = new Map<string, unknown[]>()

const core = coreStandIn(calls)
jest.unstable_mockModule('@actions/core', () => core)

const run = { env: {}, findings: [], work: { dir: '/work' }, store: {}, startedAt: 0 }
const cache = { canPush: true, session: {}, reader: {}, substituters: ['https://cache'], netrc: [] }
const hosts = [{ id: 'alpha', outPath: '/nix/store/alpha' }]
const installables = { installables: ['.#alpha'], toBuild: hosts, attributeOutputs: [] }
let build: unknown
let failing: string | undefined
const phase =
  <T>(name: string, result: T) =>
  (...args: unknown[]): Promise<T> =>
    failing === name ? Promise.reject(new Error(`${name} broke`)) : record(name, result)(...args)

jest.unstable_mockModule('../../../src/action/phases/run.js', () => ({
  startRun: (inputs: Inputs) => Promise.resolve({ ...run, inputs })
}))
jest.unstable_mockModule('../../../src/action/phases/nix.js', () => ({ nixPhase: phase('nix', '2.35.1') }))
jest.unstable_mockModule('../../../src/action/phases/cachix.js', () => ({
  cachixPhase: phase('cachix', cache),
  reopenCachix: phase('reopen', { state: 'open' })
}))
jest.unstable_mockModule('../../../src/action/phases/flake-cache.js', () => ({
  restoreFlakeCache: phase('restore flake cache', { key: 'k', hit: false }),
  saveFlakeCache: phase('save flake cache', undefined)
}))
jest.unstable_mockModule('../../../src/action/phases/remote-builders.js', () => ({
  setupRemoteBuilders: phase('remote builders', { systems: [], maxJobs: undefined }),
  noRemoteBuilders: () => ({ systems: [] })
}))
jest.unstable_mockModule('../../../src/action/phases/free-disk.js', () => ({
  startFreeingDisk: (r: { inputs: Inputs }) => (r.inputs.freeDiskSpace ? Promise.resolve() : undefined),
  freeDiskPhase: phase('free disk', '/mnt')
}))
jest.unstable_mockModule('../../../src/action/phases/configure-nix.js', () => ({
  configureNixPhase: phase('configure nix', undefined),
  NO_HOST_CACHES: { substituters: [], trustedPublicKeys: [] }
}))
jest.unstable_mockModule('../../../src/action/phases/hosts.js', () => ({ hostsPhase: phase('hosts', hosts) }))
jest.unstable_mockModule('../../../src/action/phases/qemu.js', () => ({ setupEmulation: phase('qemu', false) }))
jest.unstable_mockModule('../../../src/action/phases/host-substituters.js', () => ({
  reachableHostCaches: phase('host substituters', { substituters: [], trustedPublicKeys: [] })
}))
jest.unstable_mockModule('../../../src/action/phases/cache-check.js', () => ({
  cacheCheckPhase: phase('cache check', new Set<string>())
}))
jest.unstable_mockModule('../../../src/action/phases/installables.js', () => ({
  installablesPhase: phase('installables', installables)
}))
jest.unstable_mockModule('../../../src/action/phases/build.js', () => ({
  buildGroupName: (n: number) => `Build ${n}`,
  buildPhase: (...args: unknown[]) => phase('build', build)(...args)
}))
jest.unstable_mockModule('../../../src/action/phases/push.js', () => ({
  pushPhase: phase('push', { final: {}, pushed: new Map() })
}))
jest.unstable_mockModule('../../../src/action/phases/report.js', () => ({ reportPhase: phase('report', undefined) }))
jest.unstable_mockModule('../../../src/action/phases/closure-diff.js', () => ({
  wantsClosureDiff: (inputs: Inputs) => inputs.diffBase.kind !== 'off',
  closureDiffPhase: phase('closure diff', undefined)
}))

const { run: runAction, runMain } = await import('../../../src/action/main.js')

const INPUTS = {
  flake: '.',
  hosts: [],
  system: 'x86_64-linux',
  attributes: [],
  builders: [],
  flakeInputCache: true,
  useHostSubstituters: true,
  freeDiskSpace: false,
  diffBase: { kind: 'off' }
} as unknown as Inputs

const built = { cancelled: false, results: [{ id: 'alpha' }], drainDeadline: 1 }

beforeEach(() => {
  calls.length = 0
  handed.clear()
  failing = undefined
  build = built
  process.exitCode = undefined
  jest.clearAllMocks()
})

describe("runMain: the main step's phases", () => {
  it('runs each phase in its own group, in the order of a run', async () => {
    await runMain(INPUTS)
    expect(calls).toEqual([
      '[Nix]',
      'nix',
      '[Cachix]',
      'cachix',
      '[Flake input cache]',
      'restore flake cache',
      '[Configure Nix for evaluation]',
      'configure nix',
      '[Hosts]',
      'hosts',
      '[QEMU]',
      'qemu',
      '[Host substituters]',
      'host substituters',
      '[Configure Nix]',
      'configure nix',
      '[Cache check]',
      'cache check',
      '[Installables]',
      'installables',
      '[Build 1]',
      'build',
      '[Push]',
      'push',
      '[Report]',
      'report',
      '[Save the flake input cache]',
      'save flake cache'
    ])
  })

  it('hands each phase what the earlier ones found', async () => {
    await runMain({ ...INPUTS, freeDiskSpace: true, diffBase: { kind: 'auto' } })
    expect(calls).toContain('free disk')
    expect(calls.indexOf('[Free disk space]')).toBeLessThan(calls.lastIndexOf('configure nix'))
    // The second nix.conf pass knows the hosts' side: emulation, their caches, the build directory.
    expect(handed.get('configure nix')?.[3]).toEqual({
      emulate: false,
      hostCaches: { substituters: [], trustedPublicKeys: [] },
      buildDir: '/mnt'
    })
    expect(handed.get('build')?.slice(1)).toEqual([cache, hosts, new Set(), installables])
    expect(handed.get('report')?.[1]).toEqual({
      cache,
      late: undefined,
      build: built,
      push: { final: {}, pushed: new Map() }
    })
    expect(handed.get('closure diff')?.[2]).toEqual([{ id: 'alpha' }])
    expect(calls.slice(-2)).toEqual(['[Closure diff]', 'closure diff'])
  })

  it('with the cache unreachable when the job started, tries it again before the push', async () => {
    cache.session = undefined as unknown as object
    try {
      await runMain(INPUTS)
    } finally {
      cache.session = {}
    }
    expect(calls.indexOf('[Reach Cachix again]')).toBe(calls.indexOf('build') + 1)
    expect(calls).not.toContain('[Push]')
  })

  it('cancelled while building: warns, exits 1, and leaves the push and the report to the post step', async () => {
    build = { cancelled: true }
    await runMain(INPUTS)
    expect(calls.at(-1)).toBe('build')
    expect(core.warning).toHaveBeenCalledWith('Cancelled: the post step pushes what was built.')
    expect(process.exitCode).toBe(1)
    process.exitCode = undefined
  })
})

describe('run: how the main step fails', () => {
  it('a phase that throws fails the step with status failed and its message', async () => {
    failing = 'hosts'
    await withInputs({ flake: '.' }, runAction)
    expect(calls).not.toContain('[QEMU]')
    expect(core.setOutput).toHaveBeenCalledWith('status', 'failed')
    expect(core.setFailed).toHaveBeenCalledWith('hosts broke')
  })

  it('a bad input fails the step before any phase runs, naming the input', async () => {
    await withInputs({ system: 'pdp11-unix' }, runAction)
    expect(calls).toEqual([])
    expect(core.setOutput).not.toHaveBeenCalled()
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringMatching(/^input system: "pdp11-unix" is not one of/))
  })
})
