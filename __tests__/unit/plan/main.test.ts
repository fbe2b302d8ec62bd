import { afterAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { coreStandIn, withInputs } from '../../support/core.js'

// The planner's run() with its phases replaced: which run, in which group, and that its settings
// come out of nix.conf whatever happens. The phases are the action's, tested there.
const calls: string[] = []
const handed = new Map<string, unknown[]>()
let failing: string | undefined
const phase =
  <T>(name: string, result: T | (() => T)) =>
  (...args: unknown[]): Promise<T> => {
    calls.push(name)
    handed.set(name, args)
    if (failing === name) return Promise.reject(new Error(`${name} broke`))
    return Promise.resolve(typeof result === 'function' ? (result as () => T)() : result)
  }

const core = coreStandIn(calls)
jest.unstable_mockModule('@actions/core', () => core)
const reader = { cache: { uri: 'https://fleet.cachix.org' }, client: {} }
let cache: Record<string, unknown> = {}
jest.unstable_mockModule('../../../src/action/phases/nix.js', () => ({ nixPhase: phase('nix', '2.35.1') }))
jest.unstable_mockModule('../../../src/action/phases/cachix.js', () => ({
  setupCachix: (...args: unknown[]) => phase('cachix', cache)(...args)
}))
jest.unstable_mockModule('../../../src/action/phases/configure-nix.js', () => ({
  configureNix: phase('configure nix', undefined)
}))
jest.unstable_mockModule('../../../src/action/phases/clean-up.js', () => ({ cleanUp: phase('clean up', undefined) }))
const alpha = {
  name: 'alpha',
  system: 'x86_64-linux',
  outPath: '/nix/store/alpha',
  seconds: 1,
  builtWhileEvaluating: [],
  imports: ['/nix/store/generated']
}
jest.unstable_mockModule('../../../src/plan/evaluate.js', () => ({
  evaluateHostsPhase: phase('evaluate hosts', { evaluated: [alpha], failed: [], kinds: new Map([['alpha', 'nixos']]) }),
  evaluateAttributesPhase: phase('evaluate attributes', { evaluated: [], failed: [] })
}))
let walk: () => Promise<Set<string>> = () => Promise.resolve(new Set(['/nix/store/alpha']))
jest.unstable_mockModule('../../../src/plan/cache-check.js', () => ({
  planCacheCheck: (...args: unknown[]) => {
    calls.push('cache check')
    handed.set('cache check', args)
    return walk()
  }
}))
jest.unstable_mockModule('../../../src/plan/push.js', () => ({
  wantsEvaluationPush: (cache: { canPush: boolean }) => cache.canPush,
  pushEvaluationPhase: phase('push what evaluation built', undefined)
}))
jest.unstable_mockModule('../../../src/plan/outputs.js', () => ({ matrixPhase: phase('matrix', undefined) }))

const { run } = await import('../../../src/plan/main.js')

const temp = await mkdtemp(join(tmpdir(), 'plan-main-test-'))
afterAll(() => rm(temp, { recursive: true, force: true }))
const plan = (inputs: Record<string, string>): Promise<void> => withInputs({ ...inputs }, run)

beforeEach(() => {
  calls.length = 0
  handed.clear()
  failing = undefined
  cache = { canPush: false, reader, substituters: ['https://fleet.cachix.org'], trustedPublicKeys: [], netrc: [] }
  walk = () => Promise.resolve(new Set(['/nix/store/alpha']))
  process.env.RUNNER_TEMP = temp
  jest.clearAllMocks()
})

describe("the planner's phases", () => {
  it('installs Nix, opens the caches and writes nix.conf as a leg does, evaluates, checks the cache, and emits the matrix', async () => {
    await plan({ cachix: 'fleet' })
    expect(calls).toEqual([
      '[Nix]',
      'nix',
      '[Cachix]',
      'cachix',
      '[Configure Nix]',
      'configure nix',
      '[Evaluate hosts]',
      'evaluate hosts',
      '[Check the cache]',
      'cache check',
      '[Matrix]',
      'matrix',
      'clean up'
    ])
    // A leg's cache set-up, told it never pushes and evaluates rather than builds.
    expect(handed.get('cachix')?.[0]).toMatchObject({ cachix: 'fleet', push: 'false' })
    expect(handed.get('cachix')?.[2]).toBe('evaluating')
    // nix.conf without the leg's post-build hook, in a directory of its own that the clean-up removes.
    const [setup] = handed.get('configure nix') as [{ hook: boolean; work: { dir: string } }]
    expect(setup.hook).toBe(false)
    expect(setup.work.dir.startsWith(join(temp, 'nix-cachix-plan-'))).toBe(true)
    expect(handed.get('clean up')).toEqual([setup.work.dir, expect.stringMatching(/nix\.conf$/)])
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(handed.get('matrix')?.[2]).toEqual(new Set(['/nix/store/alpha']))
  })

  it('with nothing for nix.conf (no cache, token or settings) leaves nix.conf alone', async () => {
    cache = { canPush: false, substituters: [], trustedPublicKeys: [], netrc: [] }
    await plan({})
    expect(calls).not.toContain('[Configure Nix]')
    expect(calls).not.toContain('[Check the cache]')
    expect(handed.get('clean up')).toEqual(['', ''])
  })

  it('a phase that fails fails the plan, and its settings still come out of nix.conf', async () => {
    failing = 'evaluate hosts'
    await plan({ cachix: 'fleet' })
    expect(core.setFailed).toHaveBeenCalledWith('evaluate hosts broke')
    expect(calls.at(-1)).toBe('clean up')
    expect(handed.get('clean up')).toEqual([
      expect.stringContaining(join(temp, 'nix-cachix-plan-')),
      expect.stringMatching(/nix\.conf$/)
    ])
  })

  it('a cache that stops answering during the walk gives every host a row, with a warning finding', async () => {
    walk = () => Promise.reject(new Error('HTTP 502'))
    await plan({ cachix: 'fleet' })
    const [, , cached, findings] = handed.get('matrix') as [unknown, unknown, Set<string>, { message: string }[]]
    expect(cached.size).toBe(0)
    expect(findings).toEqual([
      {
        level: 'warning',
        message:
          'Cachix cache fleet could not be read (HTTP 502): every host gets a row, because the plan cannot know what is cached.'
      }
    ])
  })

  it('with a token, pushes what its evaluations built or imported before it checks the cache', async () => {
    cache = { ...cache, canPush: true, session: {} }
    await plan({ cachix: 'fleet', 'cachix-auth-token': 'secret' })
    expect(handed.get('cachix')?.[0]).toMatchObject({ cachix: 'fleet', push: 'auto' })
    expect(calls.slice(calls.indexOf('evaluate hosts') + 1, calls.indexOf('cache check') + 1)).toEqual([
      '[Push what evaluation built]',
      'push what evaluation built',
      '[Check the cache]',
      'cache check'
    ])
    expect(handed.get('push what evaluation built')?.[1]).toEqual([alpha])
  })
})
