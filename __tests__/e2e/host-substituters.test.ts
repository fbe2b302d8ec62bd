import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { runCommand } from '../../src/util/process.js'
import { buildOffline } from '../../harness/offline-build.js'
import { sampleFlake } from '../../harness/sample-flake.js'
import { CACHE, inCache, leg, type Server, evalRaw, testServer, buildHere } from '../support/legs.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'
import { createServer, type Server as TcpServer, type Socket } from 'node:net'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { makePusher } from '../support/push.js'

/** A TCP port that accepts connections and never answers, on loopback: a cache behind a dead route. */
async function silentPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets: Socket[] = []
  const server: TcpServer = createServer(socket => sockets.push(socket))
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(r => server.close(r))
    }
  }
}

describe("the hosts' own substituters", () => {
  const server = testServer([
    { name: CACHE, writeTokens: [WRITE_TOKEN] },
    { name: 'upstream', writeTokens: [WRITE_TOKEN] }
  ])

  /** The sample fleet whose hosts trust `upstream`, which already has their `base` (gone from this store). */
  async function fleetWithUpstreamBase(): Promise<{ flake: string; base: string }> {
    const settings = {
      substituters: [server.cacheUrl('upstream')],
      'trusted-public-keys': server.publicKeys('upstream')
    }
    const flake = await sampleFlake({ settings })
    const base = await buildOffline(`${flake}#nixosConfigurations.alpha.config.system.build.toplevel.base`)
    const { makePusher } = await import('../support/push.js')
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'upstream', authToken: WRITE_TOKEN })
    pusher.add([base])
    expect((await pusher.drain()).uploaded).toBe(1)
    await runCommand('nix-store', ['--delete', base])
    return { flake, base }
  }

  it('CI downloads what the machines download instead of compiling it', async () => {
    const { flake, base } = await fleetWithUpstreamBase()
    const { main } = await leg(server, flake, { system: 'x86_64-linux', hosts: 'alpha' })
    expect(await inCache(server, base)).toBe(true)
    expect(main.code).toBe(0)
    expect(main.outputs.built).toBe('3')
    expect(Number(main.outputs.substituted)).toBeGreaterThanOrEqual(1)
    expect(main.outputs.coverage).toBe('100%')
  })

  it('with use-host-substituters false the same path is compiled', async () => {
    const { flake } = await fleetWithUpstreamBase()
    const { main } = await leg(server, flake, {
      system: 'x86_64-linux',
      hosts: 'alpha',
      'use-host-substituters': 'false'
    })
    expect(main.code).toBe(0)
    expect(main.outputs.built).toBe('4')
    expect(main.outputs.substituted).toBe('0')
  })
})

describe("a host's extra-substituters", () => {
  let server: Server
  let silent: Awaited<ReturnType<typeof silentPort>>
  beforeAll(async () => {
    server = await startTestServer([
      { name: CACHE, writeTokens: [WRITE_TOKEN] },
      { name: 'community', writeTokens: [WRITE_TOKEN] }
    ])
    silent = await silentPort()
  })
  afterAll(async () => {
    await silent.close()
    await server.close()
  })

  it('a path only a second cache holds is downloaded, not built; unreachable caches are dropped by name within 6 s', async () => {
    const community = `${server.cacheUrl('community')}?priority=30`
    const tailnet = `http://127.0.0.1:${silent.port}/fleet`
    const closed = 'http://127.0.0.2:9/closed'
    const flake = await fleetFlake({
      hosts: {
        desk: {
          settings: {
            substituters: [],
            'extra-substituters': [community, tailnet, closed, `${server.cacheUrl('community')}/`],
            'extra-trusted-public-keys': server.publicKeys('community')
          }
        },
        other: { throw: true }
      }
    })
    // `base` is in the community cache only: built here, pushed there, deleted from this store.
    const base = await evalRaw(flake, 'nixosConfigurations.desk.config.system.build.toplevel.etc.base.outPath')
    await buildHere(flake, 'nixosConfigurations.desk.config.system.build.toplevel.etc.base')
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'community', authToken: WRITE_TOKEN })
    pusher.add([base])
    expect((await pusher.drain()).uploaded).toBe(1)
    await runCommand('nix-store', ['--delete', base])

    const { main } = await leg(server, flake, { system: 'x86_64-linux', hosts: 'desk' })
    expect(main.code).toBe(0)
    expect(main.outputs.built).toBe('2')
    expect(Number(main.outputs.substituted)).toBeGreaterThanOrEqual(1)
    expect(await inCache(server, base)).toBe(true)
    // Kept as the host wrote it, query string and all, and once.
    expect(main.stdout).toContain(`Host substituters: ${community} (probed 3 in`)
    for (const dead of [tailnet, closed])
      expect(main.stdout).toMatch(
        new RegExp(`::notice::host substituter ${dead.replace(/[.?/]/g, '\\$&')} is not used by this job: `)
      )
    const findings = JSON.parse(main.outputs.findings) as { level: string; message: string }[]
    expect(
      findings
        .filter(f => f.level === 'notice')
        .map(f => f.message)
        .join('\n')
    ).toContain(tailnet)
    const probed = Number(/probed 3 in ([\d.]+) s/.exec(main.stdout)?.[1])
    expect(probed).toBeLessThan(6)
  }, 300_000)
})
