import { describe, expect, it } from '@jest/globals'
import { parseDryRun, startBuild, buildBudgetMs } from '../../../src/nix-build/nix-build.js'
import { mkdtemp, readFile, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

describe('dry run output', () => {
  it('separates what is built from what is fetched', () => {
    const stderr = `these 2 derivations will be built:\n  /nix/store/a-x.drv\n  /nix/store/b-y.drv\nthese 3 paths will be fetched (0.00 MiB download, 0.01 MiB unpacked):\n  /nix/store/c\n  /nix/store/d\n  /nix/store/e\n`
    expect(parseDryRun(stderr)).toEqual({
      toBuild: ['/nix/store/a-x.drv', '/nix/store/b-y.drv'],
      toFetch: ['/nix/store/c', '/nix/store/d', '/nix/store/e'],
      unknown: []
    })
    expect(parseDryRun('this path will be fetched (1 MiB download):\n  /nix/store/z\n')).toEqual({
      toBuild: [],
      toFetch: ['/nix/store/z'],
      unknown: []
    })
    expect(parseDryRun("don't know how to build these paths:\n  /nix/store/q\n").unknown).toEqual(['/nix/store/q'])
  })
})

describe('stopping nix build', () => {
  /** A `nix` that logs the signals it gets to `log`; it ignores SIGINT, and SIGTERM too when asked. */
  async function stubbornNix(ignoreTerm: boolean): Promise<{ env: NodeJS.ProcessEnv; log: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'stubborn-nix-'))
    const log = join(dir, 'signals')
    const script = [
      '#!/bin/sh',
      `trap 'echo INT >> ${log}' INT`,
      ignoreTerm ? `trap 'echo TERM >> ${log}' TERM` : `trap 'echo TERM >> ${log}; exit 143' TERM`,
      `echo started >> ${log}`,
      // A child that keeps the pipes open, as nix's builders do.
      'sleep 5 &',
      'while :; do sleep 0.1; done'
    ].join('\n')
    await writeFile(join(dir, 'nix'), `${script}\n`)
    await chmod(join(dir, 'nix'), 0o755)
    return { env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` }, log }
  }

  async function started(log: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if ((await readFile(log, 'utf8').catch(() => '')).includes('started')) return
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    throw new Error('the stub nix did not start')
  }

  it('a nix that ignores SIGINT gets SIGTERM after the grace time', async () => {
    const { env, log } = await stubbornNix(false)
    const build = startBuild(['build'], env, () => undefined)
    await started(log)
    const t0 = Date.now()
    build.stop(400)
    expect(await build.done).toBe(143)
    const elapsed = Date.now() - t0
    expect(elapsed).toBeGreaterThanOrEqual(400)
    // Its orphaned child holds the pipes: the build waits for them only a second.
    expect(elapsed).toBeLessThan(4000)
    expect((await readFile(log, 'utf8')).split('\n').filter(l => l !== '')).toEqual(['started', 'INT', 'TERM'])
  })

  it('one that ignores SIGTERM as well is killed, even while its children hold the pipes', async () => {
    const { env, log } = await stubbornNix(true)
    const build = startBuild(['build'], env, () => undefined)
    await started(log)
    const t0 = Date.now()
    build.stop(300)
    expect(await build.done).toBe(137)
    // Well before its orphaned `sleep 5` lets go of the pipes.
    expect(Date.now() - t0).toBeLessThan(3000)
    expect((await readFile(log, 'utf8')).split('\n').filter(l => l !== '')).toEqual(['started', 'INT', 'TERM'])
  })
})

describe('the build phase', () => {
  it.each<[number | undefined, number, number, number | undefined]>([
    [undefined, 600, 0, undefined],
    // 60 min − 10 min drain − 2 × 10 s to stop nix − 5 min already spent
    [60, 600, 300_000, 3_600_000 - 600_000 - 20_000 - 300_000],
    [11, 600, 100_000, 0]
  ])('budget %p min, drain %p s, %p ms elapsed: the build may run %p ms', (minutes, drain, elapsed, ms) => {
    expect(buildBudgetMs(minutes, drain, 10_000, elapsed)).toBe(ms)
  })
})
