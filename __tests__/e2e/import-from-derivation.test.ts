import { describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { fleetFlake } from '../../harness/fleet-flake.js'
import { newJob } from '../../harness/runner.js'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { runCommand } from '../../src/util/process.js'
import { CACHE, inCache, leg, evalRaw, onLaptop, plan, testServer, buildHere } from '../support/legs.js'
import { makePusher } from '../support/push.js'
import { WRITE_TOKEN } from '../support/server.js'

describe('import from derivation', () => {
  const server = testServer()

  it('what evaluation built is pushed: a fresh store trusting only the cache evaluates and realises the host with max-jobs 0', async () => {
    const flake = await fleetFlake({ hosts: { ifd: { ifd: true } } })
    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(0)
    const generated = await evalRaw(flake, 'nixosConfigurations.ifd.pkgs.generated.outPath')
    expect(await inCache(server, generated)).toBe(true)

    const { store: fresh, nix } = await onLaptop(server)
    const toplevel = `${flake}#nixosConfigurations.ifd.config.system.build.toplevel`
    const evaluated = await nix(['eval', '--raw', `${toplevel}.outPath`])
    expect(evaluated.stdout).toBe((JSON.parse(main.outputs.hosts) as Record<string, string>).ifd)
    const built = await nix(['build', '--no-link', toplevel])
    expect(built.stderr).not.toMatch(/building '/)
    expect(built.code).toBe(0)
    expect(
      (
        await runCommand('nix-store', ['--store', fresh, '--check-validity', generated, evaluated.stdout], {
          okCodes: [1]
        })
      ).code
    ).toBe(0)
  }, 300_000)

  it('the planner keeps a leg for a cached host whose import no cache has; that leg pushes it, and the next plan is empty', async () => {
    const flake = await fleetFlake({ hosts: { lost: { ifd: true } } })
    expect((await leg(server, flake, { system: 'x86_64-linux' })).main.code).toBe(0)
    const generated = await evalRaw(flake, 'nixosConfigurations.lost.pkgs.generated.outPath')
    // The cache loses the import (garbage collection, or a desktop pushed only the toplevel), and no runner has it.
    await rm(join(server.dataDir, CACHE, `${generated.slice(11, 43)}.narinfo`))
    await runCommand('nix-store', ['--delete', generated])
    const first = await plan(server, flake)
    expect(first.code).toBe(0)
    expect(JSON.parse(first.outputs.hosts)).toEqual(['lost'])
    expect(first.stdout).toMatch(/lost: its evaluation built 1 derivation that no cache had \(generated-lost-/)

    // The leg runs on a runner of its own, which has not got the import either.
    await runCommand('nix-store', ['--delete', generated])
    const { main } = await leg(server, flake, { system: 'x86_64-linux', hosts: 'lost' })
    expect(main.code).toBe(0)
    // The cache lacked the import when the leg checked it: a hole in the host, so the host is not skipped.
    expect(JSON.parse(main.outputs['skipped-hosts'])).toEqual([])
    expect(await inCache(server, generated)).toBe(true)

    // The next plan, on a runner without it again, substitutes the import from the cache.
    await runCommand('nix-store', ['--delete', generated])
    const second = await plan(server, flake)
    expect(JSON.parse(second.outputs.hosts)).toEqual([])
    expect(JSON.parse(second.outputs['cached-hosts'])).toEqual(['lost'])
    expect(second.stdout).not.toContain('that no cache had')
    expect((await runCommand('nix-store', ['--check-validity', generated], { okCodes: [1] })).code).toBe(0)
  }, 300_000)

  it('an existing post-build-hook stays chained through both passes of the configuration', async () => {
    const flake = await fleetFlake({ hosts: { chained: { ifd: true } } })
    const dir = await mkdtemp(join(tmpdir(), 'image-hook-'))
    const hook = join(dir, 'hook.sh')
    await writeFile(hook, `#!/bin/sh\necho "$DRV_PATH" >> ${join(dir, 'ran')}\n`, { mode: 0o755 })
    await chmod(dir, 0o777)
    const base = await newJob()
    const job = await newJob(`${base.baseNixConf}post-build-hook = ${hook}\n`)
    const { main } = await leg(server, flake, { system: 'x86_64-linux' }, job)
    expect(main.code).toBe(0)
    expect(main.stdout).toContain(`(chaining the existing post-build-hook ${hook})`)
    const ran = (await readFile(join(dir, 'ran'), 'utf8')).split('\n').filter(l => l !== '')
    // The import built during evaluation and the host's own derivations all went through the image's hook too.
    expect(ran.some(d => d.includes('-generated-chained-'))).toBe(true)
    expect(ran.some(d => d.includes('-nixos-system-chained-'))).toBe(true)
  }, 300_000)
})

describe('import from derivation when the host is already cached', () => {
  const server = testServer()

  it('what evaluation built is pushed although nothing else is built', async () => {
    const flake = await fleetFlake({ hosts: { ifd: { ifd: true } } })
    // The host's closure is in the cache, the output its evaluation imports is not (it is no
    // reference of the toplevel) and not in this store either, so evaluating builds it again.
    const toplevel = await evalRaw(flake, 'nixosConfigurations.ifd.config.system.build.toplevel.outPath')
    const generated = await evalRaw(flake, 'nixosConfigurations.ifd.pkgs.generated.outPath')
    await buildHere(flake, 'nixosConfigurations.ifd.config.system.build.toplevel')
    const { pusher } = await makePusher({ baseUrl: server.url, cacheName: CACHE, authToken: WRITE_TOKEN })
    pusher.add([toplevel])
    expect((await pusher.drain()).uploaded).toBe(3)
    await runCommand('nix-store', ['--delete', generated])
    expect(await inCache(server, generated)).toBe(false)

    const { main } = await leg(server, flake, { system: 'x86_64-linux' })
    expect(main.code).toBe(0)
    // The cache lacked the import when the leg checked it: a hole in the host, so the host is not skipped.
    expect(JSON.parse(main.outputs['skipped-hosts'])).toEqual([])
    expect(await inCache(server, generated)).toBe(true)
    expect(main.outputs.pushed).toBe('1')
    // Built during evaluation, so counted, as docs/hosts.md says of import from derivation.
    expect(main.outputs.built).toBe('1')
  }, 300_000)
})
