import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import {
  builderAddress,
  buildersSetting,
  builderStoreUri,
  builderSystems,
  nixTakesBuilderPort,
  renderSshAliases,
  type Builder,
  type RenderOptions
} from '../../nix/remote-builders.js'
import { builderFailure } from '../../nix/builder-failure.js'
import {
  checkBuilderConnection,
  removeBuilderFiles,
  sshRunsAsRoot,
  SSH_CONFIG_DIR,
  writeBuilderKey,
  writeSshConfigPart
} from '../../machine/builder-ssh.js'
import type { Inputs } from '../inputs.js'
import { nativeSystem } from '../../util/platform.js'
import { State } from '../constants.js'
import type { Run } from './run.js'

/** What nix.conf gets of the remote builders, and what the rest of the run must know of them. */
export interface RemoteBuilders {
  /** The builders setting; undefined when this leg builds on the runner only. */
  setting?: string
  /** The systems the builders in use build (a remote aarch64-linux builder replaces QEMU). */
  systems: string[]
  /** max-jobs for nix.conf: the input, unless builders it needed are not there. */
  maxJobs?: string
}

/** How long a builder has to answer `nix store ping` before it counts as unreachable. */
const BUILDER_CHECK_MS = 30_000

const NONE = (maxJobs: string | undefined): RemoteBuilders => ({ systems: [], maxJobs })

/** A leg without builders: max-jobs as the input gives it. */
export function noRemoteBuilders(inputs: Inputs): RemoteBuilders {
  return NONE(inputs.maxJobs)
}

/** max-jobs 0 means "only on the builders": with none left, the runner builds (Nix's own setting). */
function localMaxJobs(inputs: Inputs): string | undefined {
  return inputs.maxJobs === '0' ? undefined : inputs.maxJobs
}

/**
 * Sets up the remote builders for the daemon that will use them, and checks each one as that
 * daemon will reach it, before anything is evaluated or built. A builder that cannot be used is
 * one line saying which and why: with max-jobs 0 the step fails here; otherwise the build goes on
 * without it. Every file written is recorded first, for the post step to remove.
 */
export async function setupRemoteBuilders(run: Run, nixVersion: string): Promise<RemoteBuilders> {
  const { inputs, env } = run
  const workDir = run.work.dir
  // Builders that take builder-ssh-key (field 3 "-") cannot log in without it: a pull request from a fork gets no secrets.
  const keyless = inputs.builderSshKey === undefined ? inputs.builders.filter(b => b.identityFile === undefined) : []
  const builders = inputs.builders.filter(b => !keyless.includes(b))
  if (keyless.length > 0) {
    const maxJobs = builders.length === 0 && inputs.maxJobs === '0' ? ', max-jobs 0 notwithstanding' : ''
    core.notice(
      `builder-ssh-key is empty (a pull request from a fork gets no secrets): building on this runner instead of on ${keyless.map(builderAddress).join(', ')}${maxJobs}`
    )
  }
  if (builders.length === 0) return NONE(localMaxJobs(inputs))

  const asRoot = await sshRunsAsRoot(env)
  const portInUri = nixTakesBuilderPort(nixVersion)
  const written: string[] = []
  const record = (path: string): void => {
    written.push(path)
    core.saveState(State.BuilderFiles, JSON.stringify(written))
  }
  const options: RenderOptions = { hostKeys: inputs.builderHostKeys, portInUri }
  if (inputs.builderSshKey !== undefined && builders.some(b => b.identityFile === undefined)) {
    const dir = join(workDir, 'builder-ssh')
    record(dir)
    options.identityFile = await writeBuilderKey(dir, inputs.builderSshKey, asRoot)
    core.info(
      `The builders' ssh key is in ${options.identityFile}, readable only by ${asRoot ? 'root (the nix-daemon runs ssh)' : 'this user (single-user Nix runs ssh)'}`
    )
  }
  const aliases = portInUri ? undefined : renderSshAliases(builders)
  if (aliases !== undefined) {
    const file = join(SSH_CONFIG_DIR, `nix-cachix-build-${randomBytes(4).toString('hex')}.conf`)
    record(file)
    await writeSshConfigPart(file, aliases)
    core.info(
      `Nix ${nixVersion} takes no port in a builder's URI: ${file} gives ssh the address and port of each builder on another port`
    )
  }

  const checks = await Promise.all(
    builders.map(async builder => ({
      builder,
      check: await checkBuilderConnection(builderStoreUri(builder, options), asRoot, env, BUILDER_CHECK_MS)
    }))
  )
  const local = nativeSystem() ?? inputs.system
  const usable: Builder[] = []
  const failures: string[] = []
  for (const { builder, check } of checks) {
    if (check.ok) {
      usable.push(builder)
      const version = /^Version: (.+)$/m.exec(check.output)?.[1]
      core.info(
        `${builderAddress(builder)} answers${version ? ` (Nix ${version})` : ''}: builds ${builderSystems([builder], local).join(', ')}`
      )
    } else failures.push(builderFailure(builder, check.output))
  }
  const systems = builderSystems(usable, local)
  // With max-jobs 0 only builders build: without one for this leg's system, nothing would.
  if (inputs.maxJobs === '0' && !systems.includes(inputs.system)) {
    if (failures.length > 0)
      throw new Error(failures.map(f => `${f}; max-jobs is 0, so no ${inputs.system} build can run`).join('\n'))
    throw new Error(
      `max-jobs is 0 (only remote builders build) but no builder builds ${inputs.system}: add it to a builder's systems (field 2)`
    )
  }
  for (const failure of failures) core.warning(`${failure}; building without it`)
  if (usable.length === 0) {
    await removeBuilderFiles(written)
    core.saveState(State.BuilderFiles, '[]')
    return NONE(localMaxJobs(inputs))
  }
  return { setting: buildersSetting(usable, options), systems, maxJobs: inputs.maxJobs }
}
