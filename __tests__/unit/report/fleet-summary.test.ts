import { describe, expect, it } from '@jest/globals'
import { promotionText, renderFleetSummary } from '../../../src/report/fleet-summary.js'
import type { FleetVerdict } from '../../../src/report/verdict.js'

const top = (host: string): string => `/nix/store/${host.padEnd(32, 'a')}-nixos-system-${host}`
const lib = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-libfoo-1.0'

const failed: FleetVerdict = {
  passed: false,
  hosts: [
    {
      host: 'desktop',
      system: 'x86_64-linux',
      toplevel: top('desktop'),
      leg: 'ok',
      cache: { state: 'verified', upstream: 0 },
      result: 'built'
    },
    {
      host: 'laptop',
      toplevel: top('laptop'),
      leg: 'none',
      cache: { state: 'verified', upstream: 310 },
      result: 'cached'
    },
    {
      host: 'server',
      system: 'aarch64-linux',
      toplevel: top('server'),
      leg: 'failed',
      cache: { state: 'missing', path: lib, neededBy: top('server') },
      result: 'failed'
    }
  ],
  rows: [{ row: { kind: 'checks', system: 'x86_64-linux' }, leg: 'ok' }],
  problems: ['server: its leg failed'],
  findings: [
    { level: 'error', message: 'server: its leg failed' },
    { level: 'warning', message: 'desktop: pushing was slow\nsecond line' }
  ],
  diffs: [{ host: 'desktop', outcome: 'new-host', head: top('desktop') }]
}

describe('renderFleetSummary', () => {
  const text = renderFleetSummary(failed, {
    cache: 'seeds',
    promotion: { action: 'none', ref: 'cached', reason: 'a host is not verified' }
  })

  it('has one table for the fleet: built here, already cached, failed', () => {
    expect(text).toContain('## ❌ Fleet: 1 of 3 hosts is not ready')
    expect(text).toContain('| desktop | x86_64-linux | ✅ built here | ok | whole closure present |')
    expect(text).toContain(
      '| laptop |  | ⏭️ already cached | no leg (cached when planned) | whole closure present (310 upstream) |'
    )
    expect(text).toContain(
      `| server | aarch64-linux | ❌ failed | failed | \`${lib}\` missing (needed by \`${top('server')}\`) |`
    )
  })

  it('lists the other rows, the promotion, the closure diffs and the findings', () => {
    expect(text).toContain('| checks (x86_64-linux) | x86_64-linux | ok |')
    expect(text).toContain('`cached` not moved: a host is not verified.')
    expect(text).toContain('### Closure diffs')
    expect(text).toContain('#### desktop')
    expect(text).toContain('- ❌ server: its leg failed')
    expect(text).toContain('- ⚠️ desktop: pushing was slow\n')
    expect(text).not.toContain('second line')
  })

  it('says when every host is in the cache', () => {
    const passed = renderFleetSummary(
      { ...failed, passed: true, hosts: failed.hosts.slice(0, 2), diffs: [], findings: [] },
      { cache: 'seeds' }
    )
    expect(passed.split('\n')[0]).toBe('## ✅ Fleet: every host is in the cache (2 of 2)')
    expect(passed).not.toContain('### Findings')
  })
})

describe('promotionText', () => {
  it.each([
    [{ action: 'create', ref: 'cached', to: 'b'.repeat(40) } as const, '`cached` created at bbbbbbbbbbbb.'],
    [
      { action: 'update', ref: 'cached', from: 'a'.repeat(40), to: 'b'.repeat(40) } as const,
      '`cached` moved from aaaaaaaaaaaa to bbbbbbbbbbbb.'
    ]
  ])('%j', (promotion, text) => expect(promotionText(promotion)).toBe(text))
})
