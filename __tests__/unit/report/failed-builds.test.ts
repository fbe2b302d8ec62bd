import { describe, expect, it } from '@jest/globals'
import { derivationName, logTail } from '../../../src/nix-build/build-failures.js'
import { failedBuildFinding, renderFailedBuilds } from '../../../src/report/failed-builds.js'

describe('failures say why', () => {
  const DRV = '/nix/store/yllzv3s16yrig0019w986qpsdanb75m3-broken-a-xf1.drv'

  it('names the derivation and shows the last 25 lines of its log', () => {
    expect(derivationName(DRV)).toBe('broken-a-xf1')
    const log = Array.from({ length: 40 }, (_, i) => `broken-line-${i + 1}`).join('\n') + '\n\n'
    const tail = logTail(log)
    expect(tail).toHaveLength(25)
    expect(tail[24]).toBe('broken-line-40')
    const build = { drvPath: DRV, name: 'broken-a-xf1', logTail: tail }
    expect(failedBuildFinding(build)).toEqual({
      level: 'error',
      message: `derivation broken-a-xf1 failed to build (${DRV}): broken-line-40; the job summary has the last 25 lines of its log`
    })
    const summary = renderFailedBuilds([build])
    expect(summary).toContain('<code>broken-a-xf1</code>: last 25 lines of <code>nix log')
    expect(summary).toContain('broken-line-16\n')
    expect(summary).not.toContain('broken-line-15\n')
    expect(renderFailedBuilds([])).toBe('')
    // A log with a code fence in it cannot end the summary's block early.
    expect(renderFailedBuilds([{ ...build, logTail: ['```', 'x'] }])).toContain('````\n```\nx\n````')
  })
})
