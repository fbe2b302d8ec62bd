import { describe, expect, it } from '@jest/globals'
import { mkdtemp, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { installedNixVersion, installNix } from '../../src/nix/install.js'
import { runCommand } from '../../src/util/process.js'

/** What the official installer's --no-daemon mode leaves: nix linked into the user's own profile. */
const SINGLE_USER_INSTALLER = `#!/bin/sh
case " $* " in *" --no-daemon "*) ;; *) echo "expected a single-user install, got: $*" >&2; exit 1 ;; esac
mkdir -p "$HOME/.nix-profile/bin" && ln -s "$REAL_NIX" "$HOME/.nix-profile/bin/nix"
`

describe('installing Nix on a runner without systemd', () => {
  it('a single-user install puts its profile bin on the PATH the action then uses', async () => {
    const realNix = (await runCommand('sh', ['-c', 'command -v nix'])).stdout.trim()
    // A runner whose PATH has the installer's tools and no nix yet.
    const tools = await mkdtemp(join(tmpdir(), 'tools-'))
    for (const tool of ['sh', 'curl', 'mkdir', 'ln'])
      await symlink((await runCommand('sh', ['-c', `command -v ${tool}`])).stdout.trim(), join(tools, tool))
    const home = await mkdtemp(join(tmpdir(), 'home-'))
    const installer = join(await mkdtemp(join(tmpdir(), 'installer-')), 'install')
    await writeFile(installer, SINGLE_USER_INSTALLER)
    const env = { PATH: tools, HOME: home, REAL_NIX: realNix }
    expect(await installedNixVersion(env)).toBeUndefined()

    const bin = await installNix('2.28.3', '', 2, () => undefined, {
      env,
      multiUser: false,
      installer: pathToFileURL(installer).href
    })
    expect(bin).toBe(join(home, '.nix-profile', 'bin'))
    expect(await installedNixVersion({ ...env, PATH: `${bin}:${env.PATH}` })).toMatch(/^\d+\.\d+/)
  })
})
