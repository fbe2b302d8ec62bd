import { describe, expect, it } from '@jest/globals'
import { selectHosts, namedHosts } from '../../../src/hosts/select.js'

describe('host selection', () => {
  const systems = { alpha: 'x86_64-linux', beta: 'x86_64-linux', arm: 'aarch64-linux' }
  it.each([
    [[], 'x86_64-linux', ['alpha', 'beta']],
    [[], 'aarch64-linux', ['arm']],
    [['arm', 'alpha'], 'x86_64-linux', ['arm', 'alpha']]
  ])('%j on %s → %j', (requested, system, hosts) => {
    expect(selectHosts(systems, requested, system).hosts).toEqual(hosts)
  })
  it('names unknown hosts and lists the real ones', () => {
    expect(() => selectHosts(systems, ['gamma'], 'x86_64-linux')).toThrow(
      'host gamma not found in the flake (it has: alpha, arm, beta)'
    )
  })
})

describe('planner', () => {
  it('a host list narrows the plan', () => {
    const names = { nixos: ['alpha', 'arm'], darwin: ['mac'], home: [] }
    expect(namedHosts(['alpha'], names).map(h => h.id)).toEqual(['alpha'])
    expect(namedHosts([], names).map(h => h.id)).toEqual(['alpha', 'arm', 'mac'])
    expect(() => namedHosts(['nope'], names)).toThrow('host nope not found')
  })
})

describe('scoped evaluation', () => {
  it('selects named hosts whose systems were not evaluated for the others', () => {
    expect(selectHosts({ a: 'x86_64-linux', b: null, c: null }, ['a'], 'x86_64-linux')).toEqual({
      hosts: ['a'],
      otherSystems: ['b', 'c']
    })
    expect(() => selectHosts({ a: 'x86_64-linux', b: null }, ['z'], 'x86_64-linux')).toThrow(
      'host z not found in the flake (it has: a, b)'
    )
  })
})
