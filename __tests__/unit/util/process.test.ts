import { afterEach, describe, expect, it } from '@jest/globals'
import { childEnv, forgetSecretEnv, runCommand } from '../../../src/util/process.js'

describe('the environment children get', () => {
  const saved = { ...process.env }
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
  })

  const SECRET_ENV = {
    'INPUT_CACHIX-AUTH-TOKEN': 'tok-1',
    'INPUT_CACHIX-SIGNING-KEY': 'key:abc',
    'INPUT_GITHUB-TOKEN': 'ghs_x',
    INPUT_BUILDERS: 'b',
    CACHIX_AUTH_TOKEN: 'tok-2',
    CACHIX_SIGNING_KEY: 'key:def',
    ACTIONS_RUNTIME_TOKEN: 'rt',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'idt'
  }

  it('has no input, Cachix credential or runner token, and keeps the rest', () => {
    const env = childEnv({
      ...SECRET_ENV,
      PATH: '/bin',
      HOME: '/home/runner',
      NIX_REMOTE: 'daemon',
      NIX_CONF_DIR: '/etc/nix',
      GITHUB_ACTIONS: 'true',
      ACTIONS_CACHE_URL: 'http://cache',
      RUNNER_TEMP: '/tmp/r'
    })
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/home/runner',
      NIX_REMOTE: 'daemon',
      NIX_CONF_DIR: '/etc/nix',
      GITHUB_ACTIONS: 'true',
      ACTIONS_CACHE_URL: 'http://cache',
      RUNNER_TEMP: '/tmp/r'
    })
  })

  it('runCommand() gives a child a clean environment even when it is handed process.env', async () => {
    Object.assign(process.env, SECRET_ENV)
    for (const options of [{}, { env: process.env }, { env: { ...process.env, EXTRA: 'kept' } }]) {
      const { stdout } = await runCommand('sh', ['-c', 'env'], options)
      const names = stdout.split('\n').map(line => line.split('=')[0])
      for (const name of Object.keys(SECRET_ENV)) expect(names).not.toContain(name)
      expect(names).toContain('PATH')
    }
  })

  it('once inputs are read, the process itself forgets them (for children spawned without an env)', () => {
    const env: NodeJS.ProcessEnv = { ...SECRET_ENV, PATH: '/bin' }
    forgetSecretEnv(env)
    // The runner's tokens stay: @actions/cache needs them in this process.
    expect(env).toEqual({ PATH: '/bin', ACTIONS_RUNTIME_TOKEN: 'rt', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'idt' })
  })
})
