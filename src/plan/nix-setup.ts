import * as core from '@actions/core'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { openCacheAccess, readerOf, whyUnread, type CacheAccess } from '../cachix/cache-access.js'
import { logCachixRetry } from '../action/phases/step-log.js'
import { renderManagedBlock, renderNetrc, renderSecretsConf, type NetrcEntry } from '../nix/conf/render.js'
import { nixConfPath, restartDaemonIfRunning, writeManagedBlock } from '../nix/conf/file.js'
import type { PlanInputs } from './inputs.js'

/**
 * What the evaluation needs from nix.conf, as the main action sets it: the github.com token, the
 * cache and the extra pull caches (import-from-derivation substitutes from them) and extra-nix-config. The
 * block goes into the daemon's nix.conf and comes out again, with the secrets file, when `restore` runs.
 */
export async function configurePlanNix(
  inputs: PlanInputs,
  env: NodeJS.ProcessEnv
): Promise<{ restore: () => Promise<void>; cache?: CacheAccess }> {
  // The cache itself comes first: what import from derivation needs is substituted from it
  // rather than built on a runner that is then thrown away.
  const pullCaches = [...new Set([...(inputs.cachix !== undefined ? [inputs.cachix] : []), ...inputs.extraPullCaches])]
  if (inputs.githubToken === undefined && inputs.extraNixConfig.trim() === '' && pullCaches.length === 0)
    return { restore: () => Promise.resolve() }
  const substituters: string[] = []
  const keys: string[] = []
  const netrc: NetrcEntry[] = []
  let mainCache: CacheAccess | undefined
  // All at once, with the first contact's limits, as in the action: an outage must not hold the plan for minutes.
  const accesses = await Promise.all(
    pullCaches.map(name =>
      openCacheAccess({
        baseUrl: inputs.cachixUrl,
        cacheName: name,
        authToken: inputs.cachixAuthToken,
        onRetry: logCachixRetry
      })
    )
  )
  for (const [i, access] of accesses.entries()) {
    const name = pullCaches[i]
    if (name === inputs.cachix) {
      // A wrong cache name is a mistake in the workflow: the plan fails at once, as a leg would.
      if (access.state === 'missing') throw new Error(access.reason)
      mainCache = access
    }
    const cache = readerOf(access)?.cache
    if (cache === undefined) {
      // The cache's own trouble is the plan's warning (planReader); an extra pull cache's is this one.
      const line = `${name === inputs.cachix ? 'the cache' : 'extra pull cache'} ${name} could not be read and is not used for evaluation: ${whyUnread(access)}`
      if (name === inputs.cachix) core.info(line)
      else core.warning(line)
      continue
    }
    substituters.push(cache.uri)
    keys.push(...cache.publicSigningKeys)
    if (!cache.isPublic && inputs.cachixAuthToken !== undefined)
      netrc.push({ host: new URL(cache.uri).hostname, password: inputs.cachixAuthToken })
  }
  const dir = await mkdtemp(join(env.RUNNER_TEMP ?? tmpdir(), 'nix-cachix-plan-'))
  const secrets = join(dir, 'secrets.conf')
  const tokens = inputs.githubToken ? [`github.com=${inputs.githubToken}`] : []
  if (netrc.length > 0) await writeFile(join(dir, 'netrc'), renderNetrc(netrc), { mode: 0o600 })
  const secretsNeeded = tokens.length > 0 || netrc.length > 0
  if (secretsNeeded)
    await writeFile(secrets, renderSecretsConf(tokens, netrc.length > 0 ? join(dir, 'netrc') : undefined), {
      mode: 0o600
    })
  const user = userInfo().username
  const confPath = nixConfPath(env)
  const block = renderManagedBlock({
    substituters,
    trustedPublicKeys: keys,
    extraPlatforms: [],
    trustedUsers: user === 'root' ? [] : [user],
    secretsFile: secretsNeeded ? secrets : undefined,
    extraConfig: inputs.extraNixConfig
  })
  const restore = async (): Promise<void> => {
    await writeManagedBlock(confPath, undefined)
    await rm(dir, { recursive: true, force: true })
    await restartDaemonIfRunning()
  }
  try {
    await writeManagedBlock(confPath, block)
    core.info(
      `Wrote the planner's evaluation settings to ${confPath}${substituters.length > 0 ? ` (pull caches: ${substituters.join(' ')})` : ''}${tokens.length > 0 ? ', with the github.com token in a 0600 file' : ''}; they are removed when the plan is done`
    )
    if (await restartDaemonIfRunning()) core.info('Restarted nix-daemon to load them')
  } catch (error: unknown) {
    await restore().catch(() => undefined)
    throw error
  }
  return { restore, cache: mainCache }
}
