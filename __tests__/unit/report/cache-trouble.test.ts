import { describe, expect, it } from '@jest/globals'
import {
  planTroubleFindings,
  troubleFindings,
  walkFailed,
  type TroubleReport
} from '../../../src/report/cache-trouble.js'
import type { Finding } from '../../../src/report/finding.js'
import { CachixClient } from '../../../src/cachix/client.js'
import type { BinaryCache } from '../../../src/cachix/types.js'
import { renderPlanSummary } from '../../../src/report/plan-summary.js'
import { readerOf, type CacheAccess, type Reader } from '../../../src/cachix/cache-access.js'

const cache = (isPublic: boolean): BinaryCache => ({
  name: 'fleet',
  uri: 'https://fleet.cachix.org',
  isPublic,
  publicSigningKeys: ['fleet.cachix.org-1:AAAA'],
  githubUsername: 'someone',
  permission: 'Read',
  preferredCompressionMethod: 'ZSTD'
})

const reader = (isPublic: boolean): Reader => ({
  cache: cache(isPublic),
  client: new CachixClient({ cacheName: 'fleet' })
})

const DOWN = 'Cachix cache info for cache fleet kept failing (HTTP 503) after 5 attempts over 10 s'

const down: CacheAccess = { state: 'unavailable', reason: DOWN }

const rejected = (isPublic: boolean): CacheAccess & { state: 'rejected' } => ({
  state: 'rejected',
  reason: 'Cachix rejected the auth token for cache "fleet" (HTTP 401)',
  status: 401,
  anonymous: isPublic ? reader(true) : undefined
})

const report = (over: Partial<TroubleReport>): TroubleReport => ({
  cache: 'fleet',
  access: down,
  wantedPush: true,
  drainTimeoutSeconds: 600,
  ...over
})

describe('what the report says about a cache the leg could not open', () => {
  it.each<[string, Partial<TroubleReport>, Finding['level'] | undefined, boolean, RegExp | undefined]>([
    [
      'an outage that lasted the whole job: an error, a push problem, naming the cause and what to do',
      { late: down },
      'error',
      true,
      /^Cachix cache fleet could not be reached, neither when the job started nor during drain-timeout \(600 s\) after the build \(.*HTTP 503.*\): nothing was pushed, so what this job built is not in the cache\. Re-run the job once Cachix answers again/
    ],
    [
      'an outage that ended before the final push: a notice, the push said the rest',
      { late: { state: 'open' } as unknown as CacheAccess },
      'notice',
      false,
      /^Cachix cache fleet could not be reached when the job started \(.*HTTP 503.*\): the hosts were built without it, and the push ran once it answered again after the build\.$/
    ],
    [
      'an outage for a leg that only pulls: a notice, nothing was to be pushed',
      { wantedPush: false },
      'notice',
      false,
      /^Cachix cache fleet could not be reached \(.*\): the hosts were built without it, from the other caches\.$/
    ],
    [
      'a rotated token on a public cache: rotate the secret; it pulled without the token',
      { access: rejected(true) },
      'error',
      true,
      /^the Cachix auth token was rejected by cache fleet \(HTTP 401: revoked, rotated, or not a token for this cache\): nothing was pushed\. Rotate the CACHIX_AUTH_TOKEN secret .* The hosts were built pulling from fleet without the token \(it is public\)\.$/
    ],
    [
      'a rotated token on a private cache: it built without the cache',
      { access: rejected(false) },
      'error',
      true,
      /The hosts were built without fleet, from the other caches \(it is private, and cannot be read without a valid token\)\.$/
    ],
    [
      'a rotated token on a leg that only pulls: a warning, still to rotate',
      { access: rejected(true), wantedPush: false },
      'warning',
      false,
      /^the Cachix auth token was rejected by cache fleet \(HTTP 401: [^)]*\)\. Rotate the CACHIX_AUTH_TOKEN secret/
    ],
    [
      'a read-only token: a token with write access, or none',
      { access: { state: 'read-only', reason: 'may only read', reader: reader(false) } },
      'error',
      true,
      /^the Cachix auth token may only read cache fleet: nothing was pushed \(the hosts were built pulling from it\)\. Store a token with write access to fleet in the CACHIX_AUTH_TOKEN secret .*, or pass no token if this job should only pull\.$/
    ],
    [
      'the token was revoked during the outage: it is the token that is reported',
      { late: rejected(true) },
      'error',
      true,
      /^the Cachix auth token was rejected by cache fleet/
    ],
    [
      'the cache turned out not to exist: a mistake in the workflow, not a push problem',
      {
        late: {
          state: 'missing',
          reason: 'Cachix cache "fleet" does not exist (HTTP 404 on cache info): check the cache name'
        }
      },
      'error',
      false,
      /^Cachix cache "fleet" does not exist \(HTTP 404 on cache info\): check the cache name \(it could not be reached when the job started\)$/
    ]
  ])('%s', (_why, over, level, pushProblem, message) => {
    const findings = troubleFindings(report(over))
    expect(findings).toHaveLength(1)
    expect(findings[0]).toEqual({
      level,
      message: expect.stringMatching(message!) as unknown,
      ...(pushProblem ? { pushProblem: true } : {})
    })
  })
})

describe('the planner when it cannot read the cache', () => {
  it.each<[string, CacheAccess, boolean, RegExp | undefined]>([
    [
      'open: reads it, nothing to say',
      { state: 'open', session: { ...reader(true), signingKey: undefined, compression: 'zstd', canPush: true } },
      true,
      undefined
    ],
    [
      'a read-only token is all a plan needs',
      { state: 'read-only', reason: 'may only read', reader: reader(false) },
      true,
      undefined
    ],
    [
      'an outage: no reader, every host gets a row, and why',
      down,
      false,
      /^Cachix cache fleet could not be read \(.*HTTP 503.*\): every host gets a row, because the plan cannot know what is cached\.$/
    ],
    [
      'a rotated token on a public cache: read without it, rotate the secret',
      rejected(true),
      true,
      /^the Cachix auth token was rejected by cache fleet .*Rotate the CACHIX_AUTH_TOKEN secret.* The plan read the cache without the token \(it is public\)\.$/
    ],
    [
      'a rotated token on a private cache: every host gets a row',
      rejected(false),
      false,
      /The cache is private and cannot be read without a valid token, so every host gets a row, because the plan cannot know what is cached\.$/
    ]
  ])('%s', (_why, access, reads, warning) => {
    expect(readerOf(access) !== undefined).toBe(reads)
    expect(planTroubleFindings('fleet', access)).toEqual(
      warning === undefined ? [] : [{ level: 'warning', message: expect.stringMatching(warning) as unknown }]
    )
  })

  it('a walk cut short by an outage drops what it had found cached, and the summary leads with the warning', () => {
    const cached = new Set(['/nix/store/a'])
    const findings: Finding[] = []
    walkFailed('fleet', new Error('Cachix narinfo lookup for cache fleet kept failing (HTTP 502)'), cached, findings)
    expect(cached.size).toBe(0)
    expect(findings).toEqual([
      {
        level: 'warning',
        message:
          'Cachix cache fleet could not be read (Cachix narinfo lookup for cache fleet kept failing (HTTP 502)): every host gets a row, because the plan cannot know what is cached.'
      }
    ])
    const summary = renderPlanSummary(
      {
        rows: [{ host: 'alpha', system: 'x86_64-linux', runner: 'ubuntu-latest', kind: 'nixos' }],
        cached: []
      },
      { rows: [], cached: [] },
      [],
      [findings[0].message]
    )
    expect(summary).toContain(`> ⚠️ ${findings[0].message}\n\n- alpha (x86_64-linux) on \`ubuntu-latest\``)
  })
})
