import { describe, expect, it } from '@jest/globals'
import { FailedBuildWatcher } from '../../../src/nix-build/build-failures.js'

describe('failures say why', () => {
  const DRV = '/nix/store/yllzv3s16yrig0019w986qpsdanb75m3-broken-a-xf1.drv'
  const TOP = '/nix/store/28ix53cscfhbm3bs8kfimracb6cwrrf6-nixos-system-a-xf1.drv'
  it.each([
    [
      'Nix 2.8 to 2.18',
      [
        `broken-a-xf1> broken-line-40`,
        `error: builder for '${DRV}' failed with exit code 1`,
        `error: 1 dependencies of derivation '${TOP}' failed to build`
      ]
    ],
    [
      'Nix 2.19 and later',
      [
        `error: Cannot build '${DRV}'.`,
        '       Reason: builder failed with exit code 1.',
        `error: Cannot build '${TOP}'.`,
        '       Reason: 1 dependency failed.'
      ]
    ]
  ])('finds the derivations whose builder failed (%s), not those that waited on them', (_nix, lines) => {
    const watcher = new FailedBuildWatcher()
    for (const line of [...lines, ...lines]) watcher.onLine(line)
    expect(watcher.derivations()).toEqual([DRV])
  })

  it('keeps the last lines each derivation printed', () => {
    const watcher = new FailedBuildWatcher()
    for (let i = 1; i <= 40; i++) watcher.onLine(`broken-a-xf1> broken-line-${i}`)
    watcher.onLine('other> x')
    const kept = watcher.printedLog('broken-a-xf1').split('\n')
    expect(kept).toHaveLength(25)
    expect(kept[0]).toBe('broken-line-16')
    expect(watcher.printedLog('other')).toBe('x')
  })
})
