import { describe, expect, it } from '@jest/globals'
import { renderEvalFailures, renderPlanSummary } from '../../../src/report/plan-summary.js'

describe('the planner, one evaluation per host', () => {
  it('the summary names each host that does not evaluate with its error', () => {
    expect(renderEvalFailures([])).toBe('')
    expect(renderEvalFailures([{ name: 'b', error: 'error: boom\nat x' }])).toBe(
      '\n### Hosts that do not evaluate (no row)\n\n- **b** does not evaluate:\n\n  ```\n  error: boom\n  at x\n  ```\n'
    )
  })
})

describe('the plan summary', () => {
  it('lists host and pre-warm rows, what is cached, and what does not evaluate', () => {
    const summary = renderPlanSummary(
      {
        rows: [
          { host: 'a', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' },
          { host: 'mac', system: 'aarch64-darwin', runner: 'macos-15', kind: 'darwin' }
        ],
        cached: ['b']
      },
      {
        rows: [
          {
            attribute: 'nixosConfigurations.a.pkgs.big',
            system: 'x86_64-linux',
            runner: 'ubuntu-latest',
            kind: 'attribute'
          }
        ],
        cached: ['nixosConfigurations.b.pkgs.big']
      },
      [{ name: 'd', error: 'error: boom' }]
    )
    expect(summary).toBe(
      '## nix-cachix-build plan\n\n- a (x86_64-linux) on `ubuntu-latest`\n- mac (nix-darwin, aarch64-darwin) on `macos-15`\n- pre-warm nixosConfigurations.a.pkgs.big (x86_64-linux) on `ubuntu-latest`\n\nAlready cached: b, nixosConfigurations.b.pkgs.big\n' +
        renderEvalFailures([{ name: 'd', error: 'error: boom' }])
    )
    expect(renderPlanSummary({ rows: [], cached: [] }, { rows: [], cached: [] }, [])).toBe(
      '## nix-cachix-build plan\n\nNothing to build: everything is cached.\n'
    )
  })
})
