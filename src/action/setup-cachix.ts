import * as core from '@actions/core'
import { CachixClient } from '../cachix/client.js'
import { openCachixSession, type CachixSession } from '../push/session.js'
import type { Inputs } from './inputs.js'
import type { Finding } from '../build/finding.js'

export interface CacheSetup {
  session?: CachixSession
  pushing: boolean
  substituters: string[]
  trustedPublicKeys: string[]
  /** host → token, for private caches read through netrc */
  netrc: { host: string; password: string }[]
}

/** Opens the cache (failing fast on bad credentials) and resolves every cache to pull from. */
export async function setupCachix(inputs: Inputs, findings: Finding[]): Promise<CacheSetup> {
  const setup: CacheSetup = { pushing: false, substituters: [], trustedPublicKeys: [], netrc: [] }
  if (inputs.cachix === undefined) {
    if (inputs.push !== 'false')
      findings.push({ level: 'notice', message: 'No cachix cache is set: building only, nothing is pushed.' })
  } else {
    const session = await openCachixSession({
      baseUrl: inputs.cachixUrl,
      cacheName: inputs.cachix,
      authToken: inputs.cachixAuthToken,
      signingKey: inputs.cachixSigningKey,
      compression: inputs.compression,
      onRetry: (what, attempt, delay, reason) => core.info(`Cachix ${what}: ${reason}, retry ${attempt} in ${delay} ms`)
    })
    setup.session = session
    setup.pushing = inputs.push === 'true' || (inputs.push === 'auto' && session.canPush)
    addCache(
      setup,
      session.cache.uri,
      session.cache.publicSigningKeys,
      session.cache.isPublic ? undefined : inputs.cachixAuthToken
    )
    core.info(
      `Cachix cache ${session.cache.name}: ${session.cache.uri} (${session.cache.isPublic ? 'public' : 'private'}, ${session.compression})`
    )
    if (!setup.pushing && inputs.push === 'auto') {
      findings.push({
        level: 'notice',
        message: `No cachix-auth-token or cachix-signing-key: pulling from ${inputs.cachix} only, nothing is pushed. Set the secret to push (fork pull requests never get secrets).`
      })
    }
  }
  for (const name of inputs.extraPullCaches) {
    try {
      const client = new CachixClient({ baseUrl: inputs.cachixUrl, cacheName: name, authToken: inputs.cachixAuthToken })
      const cache = await client.getCache()
      addCache(setup, cache.uri, cache.publicSigningKeys, cache.isPublic ? undefined : inputs.cachixAuthToken)
    } catch (error: unknown) {
      findings.push({
        level: 'warning',
        message: `extra pull cache ${name} could not be read and is not used: ${error instanceof Error ? error.message : String(error)}`
      })
    }
  }
  return setup
}

function addCache(setup: CacheSetup, uri: string, keys: string[], token: string | undefined): void {
  setup.substituters.push(uri)
  setup.trustedPublicKeys.push(...keys)
  if (token !== undefined) setup.netrc.push({ host: new URL(uri).hostname, password: token })
}
