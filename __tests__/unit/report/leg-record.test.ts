import { describe, expect, it } from '@jest/globals'
import {
  legArtifactAttempt,
  legArtifactName,
  legRecordsOf,
  parseLegRecord,
  rowLabel,
  type LegRecord
} from '../../../src/report/leg-record.js'

const FORBIDDEN_IN_ARTIFACT_NAMES = ['"', ':', '<', '>', '|', '*', '?', '\r', '\n', '\\', '/']

describe('leg artifacts', () => {
  it.each([
    [
      { kind: 'host', host: 'desktop', system: 'x86_64-linux' } as const,
      1,
      'nix-cachix-build-leg-host-desktop-attempt-1'
    ],
    [
      { kind: 'host', host: 'home:alice@nas', system: 'x86_64-linux' } as const,
      2,
      'nix-cachix-build-leg-host-home%3aalice@nas-attempt-2'
    ],
    [
      { kind: 'attribute', attribute: 'nixosConfigurations."a/b".pkgs.x', system: 'x86_64-linux' } as const,
      1,
      'nix-cachix-build-leg-attribute-nixosConfigurations.%22a%2fb%22.pkgs.x-attempt-1'
    ],
    [{ kind: 'checks', system: 'aarch64-linux' } as const, 3, 'nix-cachix-build-leg-checks-aarch64-linux-attempt-3']
  ])('names %j attempt %i as %s, with no character the artifact service refuses', (row, attempt, name) => {
    expect(legArtifactName(row, attempt)).toBe(name)
    for (const c of FORBIDDEN_IN_ARTIFACT_NAMES) expect(name).not.toContain(c)
    expect(legArtifactAttempt(name)).toBe(attempt)
  })

  it('two rows never share a name: % is escaped too', () => {
    const a = legArtifactName({ kind: 'host', host: 'a:b', system: 'x' }, 1)
    const b = legArtifactName({ kind: 'host', host: 'a%3ab', system: 'x' }, 1)
    expect(a).not.toBe(b)
  })

  it('other artifacts are not leg records', () => {
    expect(legArtifactAttempt('build-logs')).toBeUndefined()
    expect(legArtifactAttempt('nix-cachix-build-leg-host-x')).toBeUndefined()
  })

  it('labels rows for people', () => {
    expect(rowLabel({ kind: 'checks', system: 'x86_64-linux' })).toBe('checks (x86_64-linux)')
    expect(rowLabel({ kind: 'attribute', attribute: 'a.b', system: 'x86_64-linux' })).toBe('pre-warm a.b')
  })
})

describe('parseLegRecord', () => {
  const good: LegRecord = {
    version: 1,
    row: { kind: 'host', host: 'desktop', system: 'x86_64-linux' },
    attempt: 1,
    status: 'failed',
    results: [{ name: 'desktop', outPath: '/nix/store/x', status: 'failed' }],
    findings: [{ level: 'error', message: 'build failed for desktop' }],
    diffs: []
  }

  it('reads back what a leg wrote', () => {
    expect(parseLegRecord(JSON.stringify(good))).toEqual(good)
  })

  it.each([
    ['not json', /not JSON/],
    [JSON.stringify({ ...good, version: 2 }), /version 2/],
    [JSON.stringify({ ...good, status: 'great' }), /status "great"/],
    [JSON.stringify({ ...good, attempt: 0 }), /attempt/],
    [JSON.stringify({ ...good, row: { kind: 'vm', system: 'x' } }), /row.kind "vm"/],
    [JSON.stringify({ ...good, row: { kind: 'host', system: 'x' } }), /row.host/],
    [JSON.stringify({ ...good, findings: [{ level: 'fatal', message: 'x' }] }), /finding level "fatal"/],
    [JSON.stringify({ ...good, results: 'none' }), /results is not a list/]
  ])('refuses %s', (json, message) => {
    expect(() => parseLegRecord(json)).toThrow(message)
  })
})

describe('legRecordsOf: one record per row the leg ran', () => {
  const end = {
    system: 'x86_64-linux',
    attempt: 2,
    status: 'failed' as const,
    hosts: [
      { name: 'desktop', outPath: '/nix/store/d', status: 'built' },
      { name: 'server', outPath: '/nix/store/s', status: 'failed' }
    ],
    attributes: [{ name: 'a.b', outPath: '/nix/store/a', status: 'built' }],
    checks: false,
    findings: [{ level: 'error' as const, message: 'build failed for server' }],
    diffs: [{ host: 'server', outcome: 'new-host' as const, head: '/nix/store/s' }]
  }

  it('fails only the host that failed, and gives it the findings, once', () => {
    const records = legRecordsOf(end)
    expect(records.map(r => [rowLabel(r.row), r.status, r.attempt, r.findings.length, r.diffs.length])).toEqual([
      ['desktop', 'ok', 2, 0, 0],
      ['server', 'failed', 2, 1, 1],
      ['pre-warm a.b', 'ok', 2, 0, 0]
    ])
    expect(legRecordsOf({ ...end, status: 'problems' }).map(r => r.status)).toEqual(['problems', 'failed', 'problems'])
  })

  it('a checks leg has one record for its system; a cancelled leg is cancelled throughout', () => {
    const records = legRecordsOf({ ...end, hosts: [], attributes: [], checks: true, status: 'cancelled' })
    expect(records).toEqual([
      {
        version: 1,
        row: { kind: 'checks', system: 'x86_64-linux' },
        attempt: 2,
        status: 'cancelled',
        results: [],
        findings: end.findings,
        diffs: []
      }
    ])
  })
})
