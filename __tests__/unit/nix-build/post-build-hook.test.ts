import { describe, expect, it } from '@jest/globals'
import { parseSpool, renderHookScript } from '../../../src/nix-build/post-build-hook.js'
import { runCommand } from '../../../src/util/process.js'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

describe('post-build-hook', () => {
  it('appends DRV_PATH and OUT_PATHS, survives an unwritable spool and exits 0 (run by sh)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hook-'))
    const spool = join(dir, "sp'ool")
    const hook = join(dir, 'hook.sh')
    await writeFile(hook, renderHookScript(spool), { mode: 0o755 })
    await runCommand(hook, [], {
      env: { ...process.env, DRV_PATH: '/nix/store/a-x.drv', OUT_PATHS: '/nix/store/b-x /nix/store/c-x' }
    })
    await runCommand(hook, [], { env: { ...process.env, DRV_PATH: '/nix/store/d-y.drv', OUT_PATHS: '' } })
    expect(await readFile(spool, 'utf8')).toBe(
      '/nix/store/a-x.drv /nix/store/b-x /nix/store/c-x\n/nix/store/d-y.drv \n'
    )
    const broken = join(dir, 'hook2.sh')
    await writeFile(broken, renderHookScript('/nonexistent/dir/spool', '/bin/false'), { mode: 0o755 })
    expect((await runCommand(broken, [], { okCodes: [1] })).code).toBe(0)
  })
  it('parses complete lines and keeps a partial one for later', () => {
    expect(parseSpool('/nix/store/a.drv /nix/store/b\n/nix/store/c.drv \n/nix/store/d.d')).toEqual({
      entries: [
        { drvPath: '/nix/store/a.drv', outPaths: ['/nix/store/b'] },
        { drvPath: '/nix/store/c.drv', outPaths: [] }
      ],
      rest: '/nix/store/d.d'
    })
  })
})
