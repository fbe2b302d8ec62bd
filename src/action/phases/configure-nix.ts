import * as core from '@actions/core'
import { writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { nixConfPath, restartDaemonIfRunning, showNixConfig, writeManagedBlock } from '../../nix/conf/file.js'
import {
  existingPostBuildHook,
  renderManagedBlock,
  renderNetrc,
  renderSecretsConf,
  type NixConfSettings
} from '../../nix/conf/render.js'
import type { HostCaches } from '../../nix/substituters.js'
import { renderHookScript } from '../../nix-build/post-build-hook.js'
import type { WorkFiles } from '../../nix-build/work-dir.js'
import { exists } from '../../util/fs.js'
import { nativeSystem } from '../../util/platform.js'
import { State } from '../constants.js'
import type { CacheSetup } from './cachix.js'
import type { RemoteBuilders } from './remote-builders.js'
import type { Run } from './run.js'

export const NO_HOST_CACHES: HostCaches = { substituters: [], trustedPublicKeys: [] }

/** What a front end puts into nix.conf: the planner only caches, tokens and extra-nix-config. */
export interface NixSetup extends Partial<
  Pick<NixConfSettings, 'maxJobs' | 'cores' | 'builders' | 'buildersUseSubstitutes'>
> {
  env: NodeJS.ProcessEnv
  work: WorkFiles
  cache: Pick<CacheSetup, 'substituters' | 'trustedPublicKeys' | 'netrc'>
  githubToken?: string
  extraNixConfig: string
  /** The post-build hook that spools every build (the action's; the planner has none). */
  hook: boolean
  /** aarch64 builds run under QEMU on this runner. */
  emulate?: boolean
  /** The hosts' own substituters that answered, and their keys. */
  hostCaches?: HostCaches
}

/**
 * Writes the job's settings into nix.conf (between markers the clean-up removes): caches and
 * keys, the post-build hook, emulation, build limits. Secrets go to a 0600 file it includes.
 * `written` learns which nix.conf holds the block as soon as it does, for the clean-up.
 */
export async function configureNix(setup: NixSetup, written: (confPath: string) => void): Promise<void> {
  const { env, work, cache } = setup
  const hostCaches = setup.hostCaches ?? NO_HOST_CACHES
  const confPath = nixConfPath(env)
  const chained = setup.hook ? existingPostBuildHook(await showNixConfig(env)) : undefined
  // The second pass (after evaluation) finds its own hook in place: the script of the first pass, chain included, stays.
  const ownHookInPlace = chained === work.hook && (await exists(work.hook))
  if (setup.hook && !ownHookInPlace)
    await writeFile(work.hook, renderHookScript(work.spool, chained === work.hook ? undefined : chained), {
      mode: 0o755
    })
  const tokens = setup.githubToken ? [`github.com=${setup.githubToken}`] : []
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
    extraPlatforms: setup.emulate && nativeSystem() !== 'aarch64-linux' ? ['aarch64-linux'] : [],
    postBuildHook: setup.hook ? work.hook : undefined,
    maxJobs: setup.maxJobs,
    cores: setup.cores,
    builders: setup.builders,
    buildersUseSubstitutes: setup.buildersUseSubstitutes,
    trustedUsers: user === 'root' ? [] : [user],
    secretsFile: secretsNeeded ? work.secrets : undefined,
    extraConfig: setup.extraNixConfig
  })
  await writeManagedBlock(confPath, block)
  written(confPath)
  const pulls = cache.substituters.length > 0 ? ` (pull caches: ${cache.substituters.join(' ')})` : ''
  const token = tokens.length > 0 ? ', with the github.com token in a 0600 file' : ''
  const chain = chained && !ownHookInPlace ? ` (chaining the existing post-build-hook ${chained})` : ''
  core.info(`Wrote the nix-cachix-build settings to ${confPath}${pulls}${token}${chain}`)
  if (await restartDaemonIfRunning()) core.info('Restarted nix-daemon to load them')
}

/** What only the hosts tell: emulation, their substituters, and the roomiest build directory. */
export interface HostsNixSetup {
  emulate: boolean
  hostCaches: HostCaches
  buildDir?: string
}

/**
 * The main step's nix.conf: before evaluation, so that what import from derivation builds goes
 * to the spool too; then once the hosts are known (`known`), with their caches and emulation.
 */
export async function configureNixPhase(
  run: Run,
  cache: CacheSetup,
  builders: RemoteBuilders,
  known?: HostsNixSetup
): Promise<void> {
  const { inputs } = run
  const buildDir = known?.buildDir
  await configureNix(
    {
      env: run.env,
      work: run.work,
      cache,
      githubToken: inputs.githubToken,
      extraNixConfig:
        buildDir === undefined ? inputs.extraNixConfig : `build-dir = ${buildDir}\n${inputs.extraNixConfig}`,
      hook: true,
      emulate: known?.emulate ?? false,
      hostCaches: known?.hostCaches,
      maxJobs: builders.maxJobs,
      cores: inputs.cores,
      builders: builders.setting,
      buildersUseSubstitutes: inputs.buildersUseSubstitutes
    },
    confPath => core.saveState(State.NixConf, confPath)
  )
}
