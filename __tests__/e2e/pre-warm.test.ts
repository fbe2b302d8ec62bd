import { describe, expect, it } from '@jest/globals'
import { buildOffline } from '../../harness/offline-build.js'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { CACHE, inCache, leg, evalRaw, plan, testServer } from '../support/legs.js'
import { makePusher } from '../support/push.js'
import { WRITE_TOKEN } from '../support/server.js'

describe('pre-warm legs', () => {
  const server = testServer()

  it('two attribute rows, one cached: the other builds in an attribute-only leg, and then the plan is empty', async () => {
    const flake = await fleetFlake({ hosts: { a: {}, b: {} } })
    const [warm, cold] = ['nixosConfigurations.a.pkgs.big', 'nixosConfigurations.b.pkgs.big']
    // The hosts are built and pushed, and so is one of the two attributes.
    expect((await leg(server, flake, { system: 'x86_64-linux' })).main.code).toBe(0)
    const warmPath = await buildOffline(`${flake}#${warm}`)
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: CACHE, authToken: WRITE_TOKEN })
    pusher.add([warmPath])
    expect((await pusher.drain()).uploaded).toBe(1)

    const before = await plan(server, flake, { attributes: `${warm} ${cold}` })
    expect(before.code).toBe(0)
    const rows = (JSON.parse(before.outputs.matrix) as { include: Record<string, string>[] }).include
    expect(rows).toEqual([{ attribute: cold, system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'attribute' }])
    expect(JSON.parse(before.outputs['cached-attributes'])).toEqual([warm])
    expect(JSON.parse(before.outputs['cached-hosts'])).toEqual(['a', 'b'])
    // The two-job layout: prewarm-matrix for a job that runs first, build-matrix (hosts, checks) for the one after.
    expect(JSON.parse(before.outputs['prewarm-matrix'])).toEqual({ include: rows })
    expect(JSON.parse(before.outputs['build-matrix'])).toEqual({ include: [] })
    expect([before.outputs['prewarm-any'], before.outputs['build-any']]).toEqual(['true', 'false'])

    // The leg as the matrix row gives it: attributes from the row, no host.
    const row = rows[0]
    const { main } = await leg(server, flake, { system: row.system, hosts: row.host ?? '', attributes: row.attribute })
    expect(main.code).toBe(0)
    expect(main.stdout).toContain(`A pre-warm leg: building ${cold} and no host`)
    expect(JSON.parse(main.outputs.hosts)).toEqual({})
    expect(main.outputs.built).toBe('1')
    expect(await inCache(server, await evalRaw(flake, `${cold}.outPath`))).toBe(true)

    const after = await plan(server, flake, { attributes: `${warm} ${cold}` })
    expect(after.code).toBe(0)
    expect(JSON.parse(after.outputs.matrix)).toEqual({ include: [] })
    expect(after.outputs.any).toBe('false')
    expect(JSON.parse(after.outputs['cached-attributes'])).toEqual([warm, cold])
  }, 300_000)
})
