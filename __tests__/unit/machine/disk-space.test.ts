import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chooseBuildDir, mayFreeDisk, removalPaths, REMOVED_TOOLCHAINS } from '../../../src/machine/disk-space.js'

describe('free-disk-space', () => {
  it('removes exactly the documented list, under the root it is given', () => {
    expect(removalPaths('/')).toEqual([
      '/usr/share/dotnet',
      '/usr/local/lib/android',
      '/opt/ghc',
      '/usr/local/.ghcup',
      '/opt/hostedtoolcache/CodeQL',
      '/usr/share/swift'
    ])
    expect(removalPaths('/tmp/prefix/')).toEqual(removalPaths('/').map(p => `/tmp/prefix${p}`))
    expect(REMOVED_TOOLCHAINS.map(t => t.what)).toEqual(['.NET', 'Android SDK', 'GHC', 'ghcup', 'CodeQL', 'Swift'])
  })

  it('docs/how-it-works.md lists the same entries', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'how-it-works.md'), 'utf8')
    for (const { path } of REMOVED_TOOLCHAINS) expect(readme).toContain(`\`${path}\``)
  })

  it.each([
    ['github-hosted', 'Linux', true, undefined],
    ['self-hosted', 'Linux', false, 'RUNNER_ENVIRONMENT is "self-hosted", not github-hosted'],
    [undefined, 'Linux', false, 'RUNNER_ENVIRONMENT is not set, not github-hosted'],
    ['github-hosted', 'macOS', false, 'the removal list is for GitHub-hosted Ubuntu, and this runner is macOS']
  ])('RUNNER_ENVIRONMENT %s on %s: allowed %s', (environment, os, ok, why) => {
    const verdict = mayFreeDisk(environment, os)
    expect(verdict.ok).toBe(ok)
    if (!verdict.ok) expect(verdict.why).toContain(why)
  })

  const GiB = 1024 ** 3
  it.each([
    [
      '/mnt has more room on its own disk',
      { mount: '/', device: 1, freeBytes: 20 * GiB },
      [{ mount: '/mnt', device: 2, freeBytes: 70 * GiB }],
      '/mnt'
    ],
    [
      '/ has more room',
      { mount: '/', device: 1, freeBytes: 80 * GiB },
      [{ mount: '/mnt', device: 2, freeBytes: 70 * GiB }],
      undefined
    ],
    [
      '/mnt is on the same disk',
      { mount: '/', device: 1, freeBytes: 20 * GiB },
      [{ mount: '/mnt', device: 1, freeBytes: 20 * GiB }],
      undefined
    ],
    ['there is no /mnt', { mount: '/', device: 1, freeBytes: 20 * GiB }, [], undefined]
  ])('build-dir: %s', (_why, root, others, choice) => {
    expect(chooseBuildDir(root, others)).toBe(choice)
  })
})
