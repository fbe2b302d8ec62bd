import { describe, expect, it } from '@jest/globals'
import { HookLiveness } from '../../../src/nix-build/hook-liveness.js'

describe('hook liveness', () => {
  const drv = (name: string): string => `/nix/store/00000000000000000000000000000000-${name}.drv`
  function watch(finished: string[], graceMs = 1000): { hook: HookLiveness; clock: { now: number } } {
    const clock = { now: 0 }
    return {
      hook: new HookLiveness(
        async d => finished.includes(d),
        graceMs,
        () => clock.now
      ),
      clock
    }
  }

  it('a finished build whose spool line never comes makes the hook silent, after the grace time', async () => {
    const { hook, clock } = watch([drv('a')])
    hook.onLogLine(`building '${drv('a')}'...`)
    expect(await hook.check()).toBe(false)
    clock.now = 500
    expect(await hook.check()).toBe(false)
    clock.now = 1000
    expect(await hook.check()).toBe(true)
    expect(hook.verdict).toBe('silent')
    expect(await hook.check()).toBe(false)
  })

  it.each([
    ['nothing built', [], [], 0, 'unknown', []],
    ['builds still running', [`building '${drv('a')}'...`], [], 0, 'unknown', []],
    ['the hook wrote its line', [`building '${drv('a')}'...`], [drv('a')], 1, 'runs', []],
    [
      'built, spool empty',
      [`building '${drv('a')}'...`, 'a> log line', `building '${drv('b')}' on 'ssh://builder'...`],
      [drv('a'), drv('b')],
      0,
      'silent',
      [drv('a'), drv('b')]
    ],
    [
      'one built, one failed, spool empty',
      [`building '${drv('a')}'...`, `building '${drv('b')}'...`],
      [drv('b')],
      0,
      'silent',
      [drv('b')]
    ],
    [
      'only substituted (no building line)',
      ["copying path '/nix/store/x-y' from 'https://cache'..."],
      [],
      0,
      'unknown',
      []
    ]
  ] as const)('%s', async (_why, lines, finished, spooled, verdict, unhooked) => {
    const { hook } = watch([...finished])
    for (const line of lines) hook.onLogLine(line)
    hook.onSpooled(spooled)
    expect(await hook.builtWithoutHook()).toEqual(unhooked)
    expect(hook.verdict).toBe(verdict)
  })
})
