import { describe, expect, it } from '@jest/globals'
import {
  cacheCheckOf,
  judgeFleet,
  type CacheCheck,
  type FleetPlan,
  type LegsJobResult
} from '../../../src/report/verdict.js'
import { latestRecords, type LegRecord, type LegRow, type LegStatus } from '../../../src/report/leg-record.js'

const top = (host: string): string => `/nix/store/${host.padEnd(32, 'a')}-nixos-system-${host}`
const lib = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-libfoo-1.0'
const hostRow = (host: string, system = 'x86_64-linux'): LegRow => ({ kind: 'host', host, system })
const record = (row: LegRow, status: LegStatus, attempt = 1, findings: LegRecord['findings'] = []): LegRecord => ({
  version: 1,
  row,
  attempt,
  status,
  results: [],
  findings,
  diffs: []
})
const verified: CacheCheck = { state: 'verified', upstream: 12 }
const lost = (host: string): CacheCheck => ({ state: 'missing', path: lib, neededBy: top(host) })

function judge(
  plan: Partial<FleetPlan> & { toplevels: Record<string, string> },
  records: LegRecord[],
  caches: Record<string, CacheCheck>,
  legsJob: LegsJobResult = 'failure'
) {
  return judgeFleet(
    { rows: [], evalFailed: [], ...plan },
    latestRecords(records),
    new Map(Object.entries(caches)),
    legsJob
  )
}

describe('judgeFleet: each host by the cache and by its leg', () => {
  const toplevels = { desktop: top('desktop'), laptop: top('laptop'), server: top('server') }

  it('three hosts, one leg failed, one cached: names each, and fails', () => {
    const verdict = judge(
      { toplevels, rows: [hostRow('desktop'), hostRow('server', 'aarch64-linux')] },
      [record(hostRow('desktop'), 'ok'), record(hostRow('server', 'aarch64-linux'), 'failed')],
      {
        desktop: verified,
        laptop: verified,
        server: { state: 'missing', path: top('server'), neededBy: top('server') }
      }
    )
    expect(verdict.hosts.map(h => [h.host, h.result, h.leg])).toEqual([
      ['desktop', 'built', 'ok'],
      ['laptop', 'cached', 'none'],
      ['server', 'failed', 'failed']
    ])
    expect(verdict.hosts[2].system).toBe('aarch64-linux')
    expect(verdict.passed).toBe(false)
    expect(verdict.problems).toEqual([`server: its leg failed; ${top('server')} is not in the cache`])
  })

  it('passes when every host is verified and every leg is ok', () => {
    const verdict = judge({ toplevels, rows: [hostRow('desktop')] }, [record(hostRow('desktop'), 'problems')], {
      desktop: verified,
      laptop: verified,
      server: verified
    })
    expect(verdict.passed).toBe(true)
    expect(verdict.problems).toEqual([])
  })

  it('catches a path lost from the cache after its leg said ok', () => {
    const verdict = judge({ toplevels, rows: [hostRow('desktop')] }, [record(hostRow('desktop'), 'ok')], {
      desktop: lost('desktop'),
      laptop: verified,
      server: verified
    })
    expect(verdict.hosts[0].result).toBe('not-verified')
    expect(verdict.passed).toBe(false)
    expect(verdict.problems).toEqual([
      `desktop: ${lib} (needed by ${top('desktop')}) is not in the cache, although its leg reported ok`
    ])
  })

  it('a host cached at plan time whose closure is gone by now is not verified', () => {
    const verdict = judge({ toplevels: { laptop: top('laptop') } }, [], { laptop: lost('laptop') })
    expect(verdict.hosts[0]).toMatchObject({ leg: 'none', result: 'not-verified' })
    expect(verdict.passed).toBe(false)
  })

  it("a host cached at plan time has the planner's system; without the planner's systems, none", () => {
    const plan = { toplevels: { laptop: top('laptop'), server: top('server') }, rows: [hostRow('server')] }
    const caches = { laptop: verified, server: verified }
    const records = [record(hostRow('server'), 'ok')]
    const systems = { laptop: 'aarch64-linux', server: 'x86_64-linux' }
    expect(judge({ ...plan, systems }, records, caches).hosts).toEqual([
      expect.objectContaining({ host: 'laptop', system: 'aarch64-linux', leg: 'none', result: 'cached' }),
      expect.objectContaining({ host: 'server', system: 'x86_64-linux', leg: 'ok', result: 'built' })
    ])
    const older = judge(plan, records, caches).hosts
    expect(older.map(h => [h.host, h.system])).toEqual([
      ['laptop', undefined],
      ['server', 'x86_64-linux']
    ])
  })

  it('a leg with no record died; its host still gets the cache verdict', () => {
    const verdict = judge({ toplevels: { desktop: top('desktop') }, rows: [hostRow('desktop')] }, [], {
      desktop: verified
    })
    expect(verdict.hosts[0]).toMatchObject({ leg: 'no-report', result: 'failed', cache: verified })
    expect(verdict.problems[0]).toMatch(
      /^desktop: its leg left no record: its runner died.*; its closure is in the cache all the same$/
    )
  })

  it('a record lost while the legs job succeeded is a warning, not a failure', () => {
    const verdict = judge(
      { toplevels: { desktop: top('desktop') }, rows: [hostRow('desktop')] },
      [],
      { desktop: verified },
      'success'
    )
    expect(verdict.hosts[0]).toMatchObject({ leg: 'record-lost', result: 'built' })
    expect(verdict.passed).toBe(true)
    expect(verdict.findings).toEqual([
      { level: 'warning', message: 'desktop: its leg succeeded, but its record could not be read' }
    ])
  })

  it('a cancelled leg fails its host', () => {
    const verdict = judge(
      { toplevels: { desktop: top('desktop') }, rows: [hostRow('desktop')] },
      [record(hostRow('desktop'), 'cancelled')],
      {
        desktop: lost('desktop')
      }
    )
    expect(verdict.hosts[0]).toMatchObject({ leg: 'cancelled', result: 'failed' })
    expect(verdict.passed).toBe(false)
  })

  it('the latest attempt of a re-run leg decides', () => {
    const verdict = judge(
      { toplevels: { desktop: top('desktop') }, rows: [hostRow('desktop')] },
      [record(hostRow('desktop'), 'ok', 2), record(hostRow('desktop'), 'failed', 1)],
      { desktop: verified }
    )
    expect(verdict.hosts[0].leg).toBe('ok')
    expect(verdict.passed).toBe(true)
  })

  it('a cache that cannot be read verifies nothing', () => {
    const verdict = judge({ toplevels: { laptop: top('laptop') } }, [], {
      laptop: { state: 'unknown', reason: 'HTTP 503' }
    })
    expect(verdict.passed).toBe(false)
    expect(verdict.problems).toEqual(['laptop: it could not be verified: the cache could not be read (HTTP 503)'])
  })

  it('hosts that did not evaluate fail the fleet, and so does a plan with no hosts', () => {
    const verdict = judge({ toplevels: { laptop: top('laptop') }, evalFailed: ['broken'] }, [], { laptop: verified })
    expect(verdict.hosts.map(h => [h.host, h.result])).toEqual([
      ['broken', 'failed'],
      ['laptop', 'cached']
    ])
    expect(verdict.problems).toEqual(['broken did not evaluate (see the plan job)'])
    expect(judge({ toplevels: {} }, [], {}).problems[0]).toMatch(/the plan listed no hosts/)
  })

  it('a failing check fails the fleet; a failed pre-warm row only warns', () => {
    const checks: LegRow = { kind: 'checks', system: 'x86_64-linux' }
    const prewarm: LegRow = {
      kind: 'attribute',
      attribute: 'nixosConfigurations.desktop.pkgs.thunderbird',
      system: 'x86_64-linux'
    }
    const verdict = judge(
      { toplevels: { laptop: top('laptop') }, rows: [checks, prewarm] },
      [
        record(checks, 'failed', 1, [{ level: 'error', message: 'check formatting failed' }]),
        record(prewarm, 'failed')
      ],
      { laptop: verified }
    )
    expect(verdict.rows.map(r => r.leg)).toEqual(['failed', 'failed'])
    expect(verdict.problems).toEqual(['checks (x86_64-linux): a check failed'])
    expect(verdict.findings).toContainEqual({
      level: 'warning',
      message: 'pre-warm nixosConfigurations.desktop.pkgs.thunderbird: its leg failed; its host built it instead'
    })
    expect(verdict.findings).toContainEqual({
      level: 'error',
      message: 'checks (x86_64-linux): check formatting failed'
    })
    const green = judge({ toplevels: { laptop: top('laptop') }, rows: [prewarm] }, [record(prewarm, 'failed')], {
      laptop: verified
    })
    expect(green.passed).toBe(true)
  })
})

describe('cacheCheckOf', () => {
  it('turns a closure walk into the cache verdict', () => {
    expect(cacheCheckOf({ complete: true, checked: 4, upstream: 3 })).toEqual({ state: 'verified', upstream: 3 })
    expect(
      cacheCheckOf({ complete: false, checked: 4, upstream: 0, firstMissing: { path: lib, neededBy: top('a') } })
    ).toEqual({ state: 'missing', path: lib, neededBy: top('a') })
  })

  it("counts what the host's evaluation imports: a missing import, or a hole in its closure, is missing", () => {
    const generated = '/nix/store/cccccccccccccccccccccccccccccccc-generated'
    const whole = { complete: true, checked: 4, upstream: 0 }
    expect(cacheCheckOf(whole, [[generated, { complete: true, checked: 1, upstream: 0 }]])).toEqual({
      state: 'verified',
      upstream: 0
    })
    expect(
      cacheCheckOf(whole, [
        [
          generated,
          { complete: false, checked: 1, upstream: 0, firstMissing: { path: generated, neededBy: generated } }
        ]
      ])
    ).toEqual({ state: 'missing', path: generated, neededBy: 'the evaluation of the host (import from derivation)' })
    expect(
      cacheCheckOf(whole, [
        [generated, { complete: false, checked: 2, upstream: 0, firstMissing: { path: lib, neededBy: generated } }]
      ])
    ).toEqual({ state: 'missing', path: lib, neededBy: generated })
    // Not walked at all (the walk stopped): not verified either.
    expect(cacheCheckOf(whole, [[generated, undefined]]).state).toBe('missing')
  })
})
