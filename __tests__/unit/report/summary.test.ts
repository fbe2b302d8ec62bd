import { describe, expect, it } from '@jest/globals'
import { formatCoverage, renderSummary, runStatus, type HostResult } from '../../../src/report/summary.js'

describe('report', () => {
  const host = (status: HostResult['status']): HostResult => ({
    id: 'h',
    system: 'x86_64-linux',
    toplevel: '/nix/store/x',
    status,
    built: 1,
    substituted: 2,
    pushed: 3,
    pushedBytes: 2048,
    seconds: 75,
    coverage: 1
  })
  it.each([
    [['built', 'cached'], [], 'ok'],
    [['built'], [{ level: 'notice' as const, message: 'n' }], 'ok'],
    [['built'], [{ level: 'warning' as const, message: 'w' }], 'problems'],
    [['built', 'failed'], [], 'failed'],
    [['unfinished'], [], 'failed']
  ] as const)('%j with %j is %s', (statuses, findings, status) => {
    expect(runStatus(statuses.map(host), [...findings])).toBe(status)
  })
  it('renders a row per host and the findings', () => {
    const text = renderSummary(
      't',
      [host('built')],
      { built: 1, substituted: 2, pushed: 3, pushedBytes: 2048, failedPushes: 0, leftovers: 0, coverage: 0.9995 },
      [{ level: 'warning', message: 'w1' }]
    )
    expect(text).toContain('| h | x86_64-linux | ✅ built | `/nix/store/x` | 1 | 2 | 3 | 2.0 KiB | 1 min 15 s | 100% |')
    expect(text).toContain('| built | to download | pushed |')
    expect(text).toContain('Built 1 derivations (the dry run planned 2 paths to download), pushed 3 paths (2.0 KiB)')
    expect(text).toContain('- ⚠️ w1')
    expect(formatCoverage(0.9995)).toBe('99.9%')
  })
})

describe('what remote builders built is counted', () => {
  it('the summary says how many of the builds each builder did', () => {
    const totals = {
      built: 4,
      substituted: 0,
      pushed: 4,
      pushedBytes: 10,
      failedPushes: 0,
      leftovers: 0,
      builtRemotely: { 'ssh-ng://root@b': 4 }
    }
    expect(renderSummary('t', [], totals, [])).toContain(
      'Built 4 derivations, 4 of them on remote builders (ssh-ng://root@b: 4) (the dry run'
    )
    expect(renderSummary('t', [], { ...totals, builtRemotely: {} }, [])).toContain('Built 4 derivations (the dry run')
  })
})
