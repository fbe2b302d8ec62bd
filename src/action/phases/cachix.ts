import * as core from '@actions/core'
import {
  openBefore,
  openCacheAccess,
  readerOf,
  whyUnread,
  type CacheAccess,
  type Reader
} from '../../cachix/cache-access.js'
import type { CachixSession, CachixSessionOptions } from '../../cachix/session.js'
import type { Finding } from '../../report/finding.js'
import { State } from '../constants.js'
import type { Inputs } from '../inputs.js'
import { logCachixRetry } from './step-log.js'

/** Why the leg has no session: the report turns it into what to do. */
export interface CacheTrouble {
  access: Exclude<CacheAccess, { state: 'open' } | { state: 'missing' }>
  /** The leg has credentials and meant to push. */
  wantedPush: boolean
}

export interface CacheSetup {
  session?: CachixSession
  /** Reads the cache (skip-cached, the closure diff): the session's client, or one that may only read, and what the cache is. */
  reader?: Reader
  /** This leg pushes: as it builds, or (the cache unavailable) once Cachix answers again before the final push. */
  canPush: boolean
  trouble?: CacheTrouble
  substituters: string[]
  trustedPublicKeys: string[]
  /** host → token, for private caches read through netrc */
  netrc: { host: string; password: string }[]
}

/** What opening the caches reads of a front end's inputs (the planner never pushes: push false). */
export type CachixSettings = Pick<
  Inputs,
  'cachix' | 'cachixUrl' | 'cachixAuthToken' | 'cachixSigningKey' | 'compression' | 'push' | 'extraPullCaches'
>

export function sessionOptions(inputs: CachixSettings, cacheName: string): CachixSessionOptions {
  return {
    baseUrl: inputs.cachixUrl,
    cacheName,
    authToken: inputs.cachixAuthToken,
    signingKey: inputs.cachixSigningKey,
    compression: inputs.compression,
    onRetry: logCachixRetry
  }
}

/** The Cachix phase of the main step: the caches, and whether the post step may have to push. */
export async function cachixPhase(inputs: Inputs, findings: Finding[]): Promise<CacheSetup> {
  const cache = await setupCachix(inputs, findings)
  core.saveState(State.Pushing, String(cache.canPush))
  return cache
}

/**
 * Opens the cache and resolves every cache to pull from. A wrong cache name fails at once; an
 * outage, a rejected or a read-only token do not: the leg builds (or the planner evaluates,
 * `doing`) pull-only and the report says what happened (an outage is tried again before the final push).
 */
export async function setupCachix(
  inputs: CachixSettings,
  findings: Finding[],
  doing: 'building' | 'evaluating' = 'building'
): Promise<CacheSetup> {
  const setup: CacheSetup = { canPush: false, substituters: [], trustedPublicKeys: [], netrc: [] }
  // All at once: during an outage every cache on Cachix is down, and each may take the first contact's 30 s.
  const extras = Promise.all(
    inputs.extraPullCaches.map(name => openCacheAccess({ ...sessionOptions(inputs, name), signingKey: undefined }))
  )
  if (inputs.cachix === undefined) {
    if (inputs.push !== 'false')
      findings.push({ level: 'notice', message: 'No cachix cache is set: building only, nothing is pushed.' })
  } else {
    const wantsPush =
      inputs.push !== 'false' && (inputs.cachixAuthToken !== undefined || inputs.cachixSigningKey !== undefined)
    const access = await openCacheAccess(sessionOptions(inputs, inputs.cachix))
    useAccess(setup, access, inputs, wantsPush, doing)
    if (access.state === 'open' && !setup.canPush && inputs.push === 'auto') {
      findings.push({
        level: 'notice',
        message: `No cachix-auth-token or cachix-signing-key: pulling from ${inputs.cachix} only, nothing is pushed. Set the secret to push (fork pull requests never get secrets).`
      })
    }
  }
  for (const [i, access] of (await extras).entries()) {
    const name = inputs.extraPullCaches[i]
    const reader = readerOf(access)
    if (reader !== undefined) addCache(setup, reader, inputs.cachixAuthToken)
    else
      findings.push({
        level: 'warning',
        message: `extra pull cache ${name} could not be read and is not used: ${whyUnread(access)}`
      })
  }
  return setup
}

/** What the leg does with the cache as it answered. */
function useAccess(
  setup: CacheSetup,
  access: CacheAccess,
  inputs: CachixSettings,
  wantsPush: boolean,
  doing: string
): void {
  // A wrong cache name is a mistake in the workflow, not an outage: the leg stops at once.
  if (access.state === 'missing') throw new Error(access.reason)
  const reader = readerOf(access)
  if (reader !== undefined) {
    setup.reader = reader
    addCache(setup, reader, inputs.cachixAuthToken)
  }
  const how = reader?.cache.isPublic ? 'public' : 'private'
  switch (access.state) {
    case 'open':
      setup.session = access.session
      setup.canPush = wantsPush
      core.info(
        `Cachix cache ${access.session.cache.name}: ${access.session.cache.uri} (${how}, ${access.session.compression})`
      )
      return
    case 'unavailable':
      setup.canPush = wantsPush
      core.info(
        `Cachix cache ${inputs.cachix} cannot be reached (${access.reason}): ${doing} without it, from the other caches${wantsPush ? '; the push is tried again after the build, within drain-timeout' : ''}`
      )
      break
    default:
      core.info(
        `Cachix cache ${inputs.cachix}: ${access.reason}; ${doing} ${reader === undefined ? 'without it, from the other caches' : `pulling from it (${how}${access.state === 'rejected' ? ', read without the token' : ''})`}, and pushing nothing`
      )
      break
  }
  // A token that may only read is no trouble for a leg that only pulls.
  if (access.state !== 'read-only' || wantsPush) setup.trouble = { access, wantedPush: wantsPush }
}

/**
 * The cache could not be reached when the job started: tries again until `deadline` (within
 * drain-timeout), so an outage of a few minutes costs nothing. Once it answers, the leg has its
 * session and the final push pushes everything it built.
 */
export async function reopenCachix(inputs: CachixSettings, setup: CacheSetup, deadline: number): Promise<CacheAccess> {
  const name = inputs.cachix ?? ''
  core.info(
    `Cachix cache ${name} could not be reached when the job started: trying again for up to ${Math.round((deadline - Date.now()) / 1000)} s (drain-timeout)`
  )
  const access = await openBefore(sessionOptions(inputs, name), deadline, tried => {
    if (tried.state === 'unavailable') core.info(`Cachix cache ${name} is still unreachable: ${tried.reason}`)
  })
  if (access.state === 'open') {
    setup.session = access.session
    core.info(`Cachix cache ${name} answers again: pushing everything this job built`)
  } else if (access.state !== 'unavailable') core.info(`Cachix cache ${name}: ${access.reason}`)
  setup.reader = readerOf(access) ?? setup.reader
  return access
}

function addCache(setup: CacheSetup, reader: Reader, token: string | undefined): void {
  const { cache } = reader
  setup.substituters.push(cache.uri)
  setup.trustedPublicKeys.push(...cache.publicSigningKeys)
  if (!cache.isPublic && token !== undefined) setup.netrc.push({ host: new URL(cache.uri).hostname, password: token })
}
