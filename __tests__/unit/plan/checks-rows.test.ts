import { describe, expect, it } from '@jest/globals'
import { planChecks } from '../../../src/plan/checks-rows.js'

describe('planChecks: one row per system with checks', () => {
  const runners = { 'x86_64-linux': 'ubuntu-latest', 'aarch64-linux': 'ubuntu-24.04-arm' }

  it('gives each system its runner, once, in a stable order', () => {
    expect(planChecks(['x86_64-linux', 'aarch64-linux', 'x86_64-linux'], runners)).toEqual({
      rows: [
        { system: 'aarch64-linux', runner: 'ubuntu-24.04-arm', kind: 'checks' },
        { system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'checks' }
      ],
      unmapped: []
    })
  })

  it('names systems no runner builds', () => {
    expect(planChecks(['riscv64-linux'], runners)).toEqual({ rows: [], unmapped: ['riscv64-linux'] })
  })
})
