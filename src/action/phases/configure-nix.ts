import * as core from '@actions/core'
import { writeFile } from 'node:fs/promises'
import { exists } from '../../util/fs.js'
import { userInfo } from 'node:os'
import type { HostInfo } from '../../hosts/flake.js'
import type { HostCaches } from '../../nix/substituters.js'
import type { Inputs } from '../inputs.js'
import { nativeSystem } from '../../util/platform.js'
import { existingPostBuildHook, renderManagedBlock, renderNetrc, renderSecretsConf } from '../../nix/conf/render.js'
import { nixConfPath, restartDaemonIfRunning, showNixConfig, writeManagedBlock } from '../../nix/conf/file.js'
import { renderHookScript } from '../../nix-build/post-build-hook.js'
import type { CacheSetup } from './cachix.js'
import { State } from '../constants.js'

export interface WorkFiles {
  dir: string
  spool: string
  hook: string
  secrets: string
  netrc: string
}

export interface NixSetup {
  inputs: Inputs
  hosts: HostInfo[]
  cache: CacheSetup
  work: WorkFiles
  /** aarch64 builds run under QEMU on this runner. */
  emulate: boolean
  /** The hosts' own substituters that answered, and their keys (empty without use-host-substituters). */
  hostCaches: HostCaches
  /** The builders setting for the remote builders that answered, if any. */
  builders?: string
  env: NodeJS.ProcessEnv
}

/**
 * Writes the job's settings into nix.conf (between markers the post step removes): caches and
 * keys, the post-build hook, emulation, build limits. Secrets go to a 0600 file it includes.
 */
export async function configureNix({
  inputs,
  cache,
  work,
  emulate,
  env,
  hostCaches,
  builders
}: NixSetup): Promise<void> {
  const confPath = nixConfPath(env)
  const chained = existingPostBuildHook(await showNixConfig(env))
  // The second pass (after evaluation) finds its own hook in place: the script of the first pass, chain included, stays.
  const ownHookInPlace = chained === work.hook && (await exists(work.hook))
  if (!ownHookInPlace)
    await writeFile(work.hook, renderHookScript(work.spool, chained === work.hook ? undefined : chained), {
      mode: 0o755
    })
  const tokens = inputs.githubToken ? [`github.com=${inputs.githubToken}`] : []
  if (cache.netrc.length > 0) await writeFile(work.netrc, renderNetrc(cache.netrc), { mode: 0o600 })
  const secretsNeeded = tokens.length > 0 || cache.netrc.length > 0
  if (secretsNeeded)
    await writeFile(work.secrets, renderSecretsConf(tokens, cache.netrc.length > 0 ? work.netrc : undefined), {
      mode: 0o600
    })
  const user = userInfo().username
  const block = renderManagedBlock({
    substituters: [...cache.substituters, ...hostCaches.substituters],
    trustedPublicKeys: [...cache.trustedPublicKeys, ...hostCaches.trustedPublicKeys],
    extraPlatforms: emulate && nativeSystem() !== 'aarch64-linux' ? ['aarch64-linux'] : [],
    postBuildHook: work.hook,
    maxJobs: inputs.maxJobs,
    cores: inputs.cores,
    builders,
    buildersUseSubstitutes: inputs.buildersUseSubstitutes,
    trustedUsers: user === 'root' ? [] : [user],
    secretsFile: secretsNeeded ? work.secrets : undefined,
    extraConfig: inputs.extraNixConfig
  })
  await writeManagedBlock(confPath, block)
  core.saveState(State.NixConf, confPath)
  core.info(
    `Wrote the nix-cachix-build settings to ${confPath}${chained && !ownHookInPlace ? ` (chaining the existing post-build-hook ${chained})` : ''}`
  )
  if (await restartDaemonIfRunning()) core.info('Restarted nix-daemon to load them')
}
