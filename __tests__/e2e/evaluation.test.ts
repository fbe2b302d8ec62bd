import { describe, expect, it } from '@jest/globals'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { type StepResult } from '../../harness/runner.js'
import { inCache, leg, plan, testServer } from '../support/legs.js'

function hostSeconds(result: StepResult): number {
  return [...result.stdout.matchAll(/evaluated in ([\d.]+) s/g)].reduce((sum, m) => sum + Number(m[1]), 0)
}

function evalSeconds(result: StepResult): number {
  return Number(/Evaluated \d+ hosts in ([\d.]+) s/.exec(result.stdout)?.[1])
}

describe('evaluation, one host at a time', () => {
  const server = testServer()

  it('a host that throws becomes a finding and no row; the plan succeeds for the other three', async () => {
    const flake = await fleetFlake({ hosts: { a: {}, b: {}, c: { system: 'aarch64-linux' }, d: { throw: true } } })
    const result = await plan(server, flake)
    expect(result.code).toBe(0)
    const matrix = JSON.parse(result.outputs.matrix) as { include: { host: string }[] }
    expect(matrix.include.map(r => r.host)).toEqual(['a', 'b', 'c'])
    expect(JSON.parse(result.outputs['eval-failed'])).toEqual(['d'])
    const findings = JSON.parse(result.outputs.findings) as { level: string; message: string }[]
    expect(findings).toHaveLength(1)
    expect(findings[0].level).toBe('error')
    expect(findings[0].message).toContain('host d does not evaluate, so it has no row')
    expect(findings[0].message).toContain('host d does not evaluate: fixture says so')
    expect(result.stdout).toMatch(/::error::host d does not evaluate/)
    expect(result.summary).toContain('**d** does not evaluate')
    expect(result.summary).toContain('fixture says so')
    expect(Object.keys(JSON.parse(result.outputs.toplevels) as object)).toEqual(['a', 'b', 'c'])
  })

  it('an action leg without hosts builds and pushes those that evaluate, names the one that does not, and fails', async () => {
    const flake = await fleetFlake({ hosts: { a: {}, b: {}, c: { system: 'aarch64-linux' }, d: { throw: true } } })
    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(1)
    expect(main.outputs.status).toBe('failed')
    const hosts = JSON.parse(main.outputs.hosts) as Record<string, string>
    expect(Object.keys(hosts)).toEqual(['a', 'b'])
    for (const toplevel of Object.values(hosts)) expect(await inCache(server, toplevel)).toBe(true)
    const findings = JSON.parse(main.outputs.findings) as { level: string; message: string }[]
    expect(findings.filter(f => f.level === 'error').map(f => f.message)).toEqual([
      expect.stringContaining('host d does not evaluate, so no leg builds it') as unknown
    ])
    expect(findings[0].message).toContain('host d does not evaluate: fixture says so')
    expect(main.stdout).toMatch(/::error::host d does not evaluate/)
  }, 300_000)

  it('hosts: a plans a and evaluates nothing else', async () => {
    const flake = await fleetFlake({ hosts: { a: {}, d: { throw: true } } })
    const result = await plan(server, flake, { hosts: 'a' })
    expect(result.code).toBe(0)
    expect((JSON.parse(result.outputs.matrix) as { include: { host: string }[] }).include.map(r => r.host)).toEqual([
      'a'
    ])
    expect(JSON.parse(result.outputs['eval-failed'])).toEqual([])
    expect(result.stdout).not.toContain('does not evaluate')
  })

  it('four hosts that each take seconds to evaluate are evaluated two at a time with eval-jobs 2', async () => {
    // Over a second of evaluation each under both Nix versions, also on a fast day (spin 7 took
    // 1.3–1.5 s on Nix 2.8 and 0.8 s on Nix 2.34).
    const slow = { spin: 10 }
    const flake = await fleetFlake({ hosts: { s1: slow, s2: slow, s3: slow, s4: slow } })
    const one = await plan(server, flake, { hosts: 's1', 'eval-jobs': '2' })
    const four = await plan(server, flake, { 'eval-jobs': '2' })
    const serial = await plan(server, flake, { 'eval-jobs': '1' })
    for (const result of [one, four, serial]) expect(result.code).toBe(0)
    expect(JSON.parse(four.outputs.hosts)).toEqual(['s1', 's2', 's3', 's4'])
    const [single, wall, serialWall] = [evalSeconds(one), evalSeconds(four), evalSeconds(serial)]
    // The machine is shared, so each evaluation's own time varies; the wall time against the sum
    // of the four evaluations' times does not: about 1/2 two at a time, about 1 one at a time.
    const [busy, serialBusy] = [hostSeconds(four), hostSeconds(serial)]
    process.stdout.write(
      `one host ${single} s; four, 2 at a time: ${wall} s for ${busy.toFixed(1)} s of evaluation; one at a time: ${serialWall} s for ${serialBusy.toFixed(1)} s\n`
    )
    expect(single).toBeGreaterThan(1)
    expect(wall / busy).toBeLessThan(0.7)
    expect(serialWall / serialBusy).toBeGreaterThan(0.9)
  }, 300_000)
})
