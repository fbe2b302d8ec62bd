import { describe, expect, it } from '@jest/globals'
import { parseNeeds, parseReportInputs } from '../../../src/fleet/inputs.js'

const TOP = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-desktop'
const planOutputs = {
  toplevels: JSON.stringify({ desktop: TOP, laptop: TOP.replace('desktop', 'laptop') }),
  matrix: JSON.stringify({
    include: [
      { host: 'desktop', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' },
      { system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'checks' }
    ]
  }),
  'prewarm-matrix': JSON.stringify({
    include: [
      {
        attribute: 'nixosConfigurations.desktop.pkgs.thunderbird',
        system: 'x86_64-linux',
        runner: 'ubuntu-latest',
        kind: 'attribute'
      }
    ]
  }),
  'eval-failed': '["broken"]'
}
const needs = (jobs: Record<string, unknown>): string => JSON.stringify(jobs)

describe('parseNeeds: the plan and the legs from toJSON(needs)', () => {
  it('finds the plan by its toplevels, whatever the job is called, and every row', () => {
    const parsed = parseNeeds(
      needs({
        evaluate: { result: 'success', outputs: planOutputs },
        build: { result: 'success', outputs: {} },
        prewarm: { result: 'skipped', outputs: {} }
      })
    )
    expect(parsed.plan.toplevels.desktop).toBe(TOP)
    expect(parsed.plan.rows).toEqual([
      { kind: 'attribute', attribute: 'nixosConfigurations.desktop.pkgs.thunderbird', system: 'x86_64-linux' },
      { kind: 'host', host: 'desktop', system: 'x86_64-linux' },
      { kind: 'checks', system: 'x86_64-linux' }
    ])
    expect(parsed.plan.evalFailed).toEqual(['broken'])
    expect(parsed.plan.problem).toBeUndefined()
    expect(parsed.legsJob).toBe('success')
  })

  it("reads the planner's imports when the workflow declared them, and refuses a malformed one", () => {
    const withImports = (imports: string): ReturnType<typeof parseNeeds> =>
      parseNeeds(needs({ plan: { result: 'success', outputs: { ...planOutputs, imports } } }))
    const generated = '/nix/store/cccccccccccccccccccccccccccccccc-generated'
    expect(withImports(JSON.stringify({ desktop: [generated] })).plan.imports).toEqual({ desktop: [generated] })
    expect(withImports('').plan.imports).toBeUndefined()
    expect(() => withImports(JSON.stringify({ desktop: generated }))).toThrow(
      /needs.plan.outputs.imports is not an object of host → list of store paths/
    )
  })

  it("reads the planner's systems when the workflow declared them, and refuses a malformed one", () => {
    const withSystems = (systems?: string): ReturnType<typeof parseNeeds> =>
      parseNeeds(needs({ plan: { result: 'success', outputs: { ...planOutputs, systems } } }))
    const systems = { desktop: 'x86_64-linux', laptop: 'aarch64-linux' }
    expect(withSystems(JSON.stringify(systems)).plan.systems).toEqual(systems)
    // An older workflow that does not declare it: the report goes on, the legs' rows give the systems.
    expect(withSystems('').plan.systems).toBeUndefined()
    expect(withSystems(undefined).plan.systems).toBeUndefined()
    expect(() => withSystems(JSON.stringify({ desktop: ['x86_64-linux'] }))).toThrow(
      /needs.plan.outputs.systems is not an object of host → system/
    )
    expect(() => withSystems('["x86_64-linux"]')).toThrow(/needs.plan.outputs.systems is not an object/)
  })

  it.each([
    [{ build: 'failure', prewarm: 'success' }, 'failure'],
    [{ build: 'cancelled', prewarm: 'success' }, 'cancelled'],
    [{ build: 'cancelled', prewarm: 'failure' }, 'failure'],
    [{ build: 'skipped' }, 'success']
  ] as const)('legs %j are %s', (results, legsJob) => {
    const jobs: Record<string, unknown> = { plan: { result: 'success', outputs: planOutputs } }
    for (const [name, result] of Object.entries(results)) jobs[name] = { result, outputs: {} }
    expect(parseNeeds(needs(jobs)).legsJob).toBe(legsJob)
  })

  it('every output of the planner at once (matrix holds what build-matrix and prewarm-matrix split): each row once', () => {
    const matrix = (rows: unknown[]): string => JSON.stringify({ include: rows })
    const host = { host: 'desktop', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' }
    const checks = { system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'checks' }
    const attribute = { attribute: 'a.b', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'attribute' }
    const outputs = {
      toplevels: JSON.stringify({ desktop: TOP }),
      matrix: matrix([host, checks, attribute]),
      'build-matrix': matrix([host, checks]),
      'prewarm-matrix': matrix([attribute])
    }
    expect(parseNeeds(needs({ plan: { result: 'success', outputs } })).plan.rows).toEqual([
      { kind: 'attribute', attribute: 'a.b', system: 'x86_64-linux' },
      { kind: 'host', host: 'desktop', system: 'x86_64-linux' },
      { kind: 'checks', system: 'x86_64-linux' }
    ])
  })

  it('a plan job that failed before its outputs is the fleet problem, not an input error', () => {
    const parsed = parseNeeds(
      needs({ plan: { result: 'failure', outputs: {} }, build: { result: 'skipped', outputs: {} } })
    )
    expect(parsed.plan.problem).toBe('the plan job ended failure, so nothing was planned')
  })

  it('a plan that ended badly after its outputs is still a problem', () => {
    expect(parseNeeds(needs({ plan: { result: 'cancelled', outputs: planOutputs } })).plan.problem).toBe(
      'the plan job ended cancelled'
    )
  })

  it('an empty matrix (nothing to build) has no rows', () => {
    expect(
      parseNeeds(
        needs({
          plan: { result: 'success', outputs: { ...planOutputs, matrix: '', 'prewarm-matrix': '{"include":[]}' } }
        })
      ).plan.rows
    ).toEqual([])
  })

  it.each([
    ['', /input needs: is empty: pass needs: \$\{\{ toJSON\(needs\) \}\}/],
    ['[1]', /input needs: is not an object/],
    ['{nope', /input needs: it is not JSON/],
    [needs({ build: { result: 'success', outputs: {} } }), /no job in it has a toplevels output/],
    [needs({ plan: { result: 'success', outputs: { toplevels: '[]' } } }), /toplevels is not an object/],
    [
      needs({ plan: { result: 'success', outputs: { ...planOutputs, matrix: '{"include":[{"host":"x"}]}' } } }),
      /has no system/
    ],
    [
      needs({ plan: { result: 'success', outputs: { ...planOutputs, 'eval-failed': '[1]' } } }),
      /eval-failed is not a list of names/
    ]
  ])('refuses %s', (text, message) => {
    expect(() => parseNeeds(text)).toThrow(message)
  })
})

describe('parseReportInputs', () => {
  const read =
    (over: Record<string, string>) =>
    (name: string): string =>
      ({ needs: needs({ plan: { result: 'success', outputs: planOutputs } }), cachix: 'seeds', ...over })[name] ?? ''

  it('reads the defaults', () => {
    expect(parseReportInputs(read({}))).toMatchObject({
      cachix: 'seeds',
      cachixUrl: 'https://cachix.org',
      notifyFormat: 'auto',
      notify: 'failures',
      promoteRef: undefined,
      notifyUrl: undefined
    })
  })

  it('takes a webhook, a format, notify always and a branch', () => {
    const inputs = parseReportInputs(
      read({
        'notify-url': 'https://discord.com/api/webhooks/1/tok',
        'notify-format': 'slack',
        notify: 'always',
        'promote-ref': 'refs/heads/cached'
      })
    )
    expect(inputs.notifyUrl?.hostname).toBe('discord.com')
    expect(inputs).toMatchObject({ notifyFormat: 'slack', notify: 'always', promoteRef: 'refs/heads/cached' })
  })

  it.each([
    [{ cachix: '' }, /input cachix: is required/],
    [
      { 'notify-url': 'discord webhook' },
      /input notify-url: contains white space or a control character: paste the secret alone/
    ],
    [{ 'notify-url': 'discord-webhook' }, /input notify-url: is not a URL: paste the webhook URL alone/],
    [{ 'notify-url': 'ftp://x/secret' }, /input notify-url: is not an http\(s\) URL/],
    [{ 'notify-format': 'teams' }, /input notify-format: "teams" is not one of auto, discord, slack, json/],
    [{ notify: 'never' }, /input notify: "never" is not failures or always/],
    [{ 'promote-ref': 'cached..x' }, /input promote-ref: "cached..x" is not a branch name/],
    [{ 'promote-ref': 'my branch' }, /is not a branch name/],
    [{ 'github-token': 'a b' }, /input github-token: contains white space/]
  ])('refuses %j', (over, message) => {
    expect(() => parseReportInputs(read(over))).toThrow(message)
  })

  it('never repeats the webhook URL in its error', () => {
    expect(() => parseReportInputs(read({ 'notify-url': 'not a url secret-token' }))).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret-token') })
    )
  })
})
