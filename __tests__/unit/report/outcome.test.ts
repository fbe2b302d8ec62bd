import { describe, expect, it } from '@jest/globals'
import { stepFailure, pushFindings, buildFindings, hostResults } from '../../../src/report/outcome.js'
import { runStatus, type HostResult, type RunStatus } from '../../../src/report/summary.js'
import type { Finding } from '../../../src/report/finding.js'
import type { BuildResult } from '../../../src/nix-build/build-and-push.js'
import type { HostInfo } from '../../../src/hosts/flake.js'

const built: HostResult = {
  id: 'alpha',
  system: 'x86_64-linux',
  toplevel: '/nix/store/x',
  status: 'built',
  built: 4,
  substituted: 0,
  pushed: 0,
  pushedBytes: 0,
  seconds: 1
}

const host = (name: string): HostInfo => ({
  id: name,
  kind: 'nixos',
  attribute: name,
  system: 'x86_64-linux',
  outPath: `/nix/store/${name.padEnd(32, 'a')}-nixos-system-${name}`,
  drvPath: `/nix/store/${name.padEnd(32, 'd')}-nixos-system-${name}.drv`,
  substituters: [],
  trustedPublicKeys: [],
  imports: []
})

const [a, b] = [host('a'), host('b')]

const build = (over: Partial<BuildResult> = {}): BuildResult => ({
  exitCode: 0,
  builtDrvs: [],
  builtOutputs: [],
  seconds: 30,
  finishedAt: new Map(),
  warnings: [],
  ...over
})

const row = (name: string, status: HostResult['status']): HostResult => ({
  id: name,
  system: 'x86_64-linux',
  toplevel: '',
  status,
  built: 0,
  substituted: 0,
  pushed: 0,
  pushedBytes: 0,
  seconds: 0
})

describe('a push problem is an error to act on, but the status is problems and the step fails only when asked', () => {
  const problem: Finding = { level: 'error', pushProblem: true, message: 'the Cachix auth token was rejected' }
  it.each<[string, Finding[], boolean, string, string | undefined]>([
    ['a push problem alone', [problem], false, 'problems', undefined],
    [
      'a push problem with fail-on-push-error, naming the cause',
      [problem],
      true,
      'problems',
      'pushing had problems and fail-on-push-error is true: the Cachix auth token was rejected'
    ],
    [
      'a warning with fail-on-push-error, as before',
      [{ level: 'warning', message: 'x' }],
      true,
      'problems',
      'pushing had problems and fail-on-push-error is true'
    ],
    [
      'an error of the build next to it still fails, with its own message',
      [problem, { level: 'error', message: 'host beta does not evaluate' }],
      false,
      'failed',
      'host beta does not evaluate'
    ]
  ])('%s', (_why, findings, failOnPushError, status, failure) => {
    expect(runStatus([built], findings)).toBe(status)
    expect(stepFailure([built], runStatus([built], findings), failOnPushError, findings)).toBe(failure)
  })
})

describe('the final push when the cache stops answering', () => {
  const DOWN_AT_THE_END =
    'Cachix missing-paths query for cache fleet kept failing (HTTP 503) after 12 attempts over 90 s'
  it.each<[string, { fatal?: string; unchecked?: string }, Finding[]]>([
    [
      'an outage at the end: the closures could not be checked, an error and a push problem',
      { unchecked: DOWN_AT_THE_END },
      [
        {
          level: 'error',
          pushProblem: true,
          message: `the cache stopped answering, so what it lacks of the built closures is unknown (${DOWN_AT_THE_END}): re-run the job once Cachix answers again, so that whatever is missing is pushed`
        }
      ]
    ],
    [
      'a token revoked while building: the stop says why, not the check that followed',
      {
        fatal: 'Cachix rejected the auth token for cache "fleet" (HTTP 401)',
        unchecked: 'Cachix missing-paths query for cache "fleet" failed with HTTP 401'
      },
      [
        {
          level: 'error',
          pushProblem: true,
          message: 'pushing stopped: Cachix rejected the auth token for cache "fleet" (HTTP 401)'
        }
      ]
    ]
  ])('%s', (_why, push, expected) => {
    const findings = pushFindings({ failures: [], leftovers: [], ...push }, 600)
    expect(findings).toEqual(expected)
    expect(runStatus([built], findings)).toBe('problems')
  })
})

describe('each host after the build', () => {
  it.each<[string, Set<string>, Set<string>, BuildResult | undefined, HostResult['status'][], number[]]>([
    [
      'cached hosts are not built and take no time',
      new Set([a.outPath, b.outPath]),
      new Set(),
      undefined,
      ['cached', 'cached'],
      [0, 0]
    ],
    [
      'a valid toplevel is built, at the time its output appeared',
      new Set(),
      new Set([a.outPath, b.outPath]),
      build({ finishedAt: new Map([[a.outPath, 12_000]]) }),
      ['built', 'built'],
      [12, 30]
    ],
    [
      'an invalid toplevel failed when nix build ran to its end',
      new Set([a.outPath]),
      new Set(),
      build({ exitCode: 1 }),
      ['cached', 'failed'],
      [0, 30]
    ],
    [
      'an invalid toplevel is unfinished when the build was stopped',
      new Set(),
      new Set([a.outPath]),
      build({ exitCode: 1, interrupted: 'time-budget' }),
      ['built', 'unfinished'],
      [30, 30]
    ]
  ])('%s', (_, cached, valid, summary, statuses, seconds) => {
    const results = hostResults([a, b], cached, valid, summary)
    expect(results.map(r => r.status)).toEqual(statuses)
    expect(results.map(r => r.seconds)).toEqual(seconds)
    expect(results.map(r => r.toplevel)).toEqual([a.outPath, b.outPath])
  })
})

describe('what the build reports', () => {
  const failedDrv: Finding = { level: 'error', message: 'hello-1.0 failed' }
  it.each<[string, HostResult[], BuildResult | undefined, Finding[], number | undefined, string[]]>([
    ['nothing built, nothing said', [], undefined, [], undefined, []],
    [
      'a clean build says only what it said of itself',
      [row('a', 'built')],
      build({ warnings: ['the hook never ran'] }),
      [],
      undefined,
      ['the hook never ran']
    ],
    [
      'a failed build names its hosts, then each failed derivation',
      [row('a', 'failed'), row('b', 'built')],
      build({ exitCode: 1 }),
      [failedDrv],
      undefined,
      ['build failed for a (nix build exited 1); everything that did build was pushed', 'hello-1.0 failed']
    ],
    [
      'a failure of no host still gives the exit code',
      [row('a', 'built')],
      build({ exitCode: 100 }),
      [],
      undefined,
      ['nix build exited 100']
    ],
    [
      'a spent time budget names the unfinished hosts last',
      [row('a', 'unfinished'), row('b', 'built')],
      build({ exitCode: 1, interrupted: 'time-budget' }),
      [],
      30,
      ['nix build exited 1', 'the time budget of 30 min ran out: a not finished']
    ]
  ])('%s', (_, results, summary, failed, budget, messages) => {
    expect(buildFindings(results, summary, failed, budget).map(f => f.message)).toEqual(messages)
  })

  it('what the build warned about is a warning finding, already announced (the build logged it)', () => {
    expect(buildFindings([row('a', 'built')], build({ warnings: ['the hook never ran'] }), [], undefined)).toEqual([
      { level: 'warning', message: 'the hook never ran', announced: true }
    ])
  })
})

describe("the step's verdict", () => {
  it.each<[string, HostResult[], RunStatus, boolean, string | undefined]>([
    ['all built and pushed', [row('a', 'built'), row('b', 'cached')], 'ok', true, undefined],
    ['push problems keep the step green by default', [row('a', 'built')], 'problems', false, undefined],
    [
      'push problems fail it with fail-on-push-error',
      [row('a', 'built')],
      'problems',
      true,
      'pushing had problems and fail-on-push-error is true'
    ],
    [
      'a failed or unfinished host fails it, naming them',
      [row('a', 'failed'), row('b', 'unfinished'), row('c', 'built')],
      'failed',
      false,
      'build failed: a, b'
    ]
  ])('%s', (_, results, status, failOnPushError, failure) => {
    expect(stepFailure(results, status, failOnPushError)).toBe(failure)
  })

  it.each<[string, Finding[], string]>([
    [
      'a host that does not evaluate fails it with the first line of that error',
      [
        { level: 'warning', message: 'w' },
        { level: 'error', message: 'host d does not evaluate, so no leg builds it: error:\n  at line 3' }
      ],
      'host d does not evaluate, so no leg builds it: error:'
    ],
    [
      'a pre-warm attribute that failed to build (no host failed) fails it',
      [{ level: 'error', message: 'nix build exited 1' }],
      'nix build exited 1'
    ]
  ])('%s', (_, findings, failure) => {
    expect(stepFailure([row('a', 'built')], 'failed', false, findings)).toBe(failure)
  })
})
