import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { runCommand } from '../../src/util/process.js'
import { CACHE, inCache, leg, type Server } from '../support/legs.js'
import { makePusher } from '../support/push.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

const NIX = ['--extra-experimental-features', 'nix-command flakes']

async function evalRaw(flake: string, attribute: string): Promise<string> {
  return (await runCommand('nix', [...NIX, 'eval', '--raw', `${flake}#${attribute}`])).stdout
}

describe('import from derivation when the host is already cached', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
  })
  afterAll(async () => server.close())

  it('what evaluation built is pushed although nothing else is built', async () => {
    const flake = await fleetFlake({ hosts: { ifd: { ifd: true } } })
    // The host's closure is in the cache, the output its evaluation imports is not (it is no
    // reference of the toplevel) and not in this store either, so evaluating builds it again.
    const toplevel = await evalRaw(flake, 'nixosConfigurations.ifd.config.system.build.toplevel.outPath')
    const generated = await evalRaw(flake, 'nixosConfigurations.ifd.pkgs.generated.outPath')
    await runCommand('nix', [
      ...NIX,
      'build',
      '--no-link',
      '--option',
      'substituters',
      '',
      `${flake}#nixosConfigurations.ifd.config.system.build.toplevel`
    ])
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: CACHE, authToken: WRITE_TOKEN })
    pusher.add([toplevel])
    expect((await pusher.drain()).uploaded).toBe(3)
    await runCommand('nix-store', ['--delete', generated])
    expect(await inCache(server, generated)).toBe(false)

    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(0)
    expect(JSON.parse(main.outputs['skipped-hosts'])).toEqual(['ifd'])
    expect(await inCache(server, generated)).toBe(true)
    expect(main.outputs.pushed).toBe('1')
    // Built during evaluation, so counted, as docs/hosts.md says of import from derivation.
    expect(main.outputs.built).toBe('1')
  }, 300_000)
})
