import { describe, expect, it } from '@jest/globals'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { leg, evalRaw, testServer } from '../support/legs.js'

describe('failures say why', () => {
  const server = testServer()

  it("the summary shows the failed derivation's name and the last 25 lines of its log; an annotation and findings name it", async () => {
    const flake = await fleetFlake({ hosts: { good: {}, bad: { fail: true } } })
    const drvPath = await evalRaw(flake, 'nixosConfigurations.bad.config.system.build.toplevel.broken.drvPath')
    const name = drvPath.replace(/^\/nix\/store\/[a-z0-9]{32}-/, '').replace(/\.drv$/, '')
    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(1)
    expect(JSON.parse(main.outputs['failed-hosts'])).toEqual(['bad'])
    expect(main.summary).toContain(`<code>${name}</code>: last 25 lines of <code>nix log ${drvPath}</code>`)
    for (let i = 16; i <= 40; i++) expect(main.summary).toContain(`broken-line-${i}\n`)
    expect(main.summary).not.toContain('broken-line-15\n')
    expect(main.stdout).toContain(`::error::derivation ${name} failed to build (${drvPath}): broken-line-40`)
    const findings = JSON.parse(main.outputs.findings) as { level: string; message: string }[]
    expect(findings.some(f => f.level === 'error' && f.message.includes(`derivation ${name} failed to build`))).toBe(
      true
    )
    // Only the derivation whose builder failed is named, not the toplevel that waited on it.
    expect(main.summary.match(/<\/code>: last 25 lines of <code>nix log/g)).toHaveLength(1)
  }, 300_000)
})
