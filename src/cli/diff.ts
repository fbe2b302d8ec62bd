import { realpath } from 'node:fs/promises'
import { configurationNames } from '../hosts/flake.js'
import { resolveHost } from '../hosts/configurations.js'
import { flakeAtCommit, localGitFlake, resolveCommit, toplevelsAt } from '../diff/base-revision.js'
import type { CacheLookups } from '../cachix/closure-walk.js'
import type { LocalStore } from '../diff/local-closure.js'
import { diffHost, type DiffSources } from '../diff/host-diff.js'
import type { HostDiff } from '../diff/types.js'

const CURRENT_SYSTEM = '/run/current-system'

export interface CliDiff {
  flake: string
  host: string
  /** A git revision of the flake's repository; without it, the system running here. */
  base?: string
  cache: CacheLookups
  /** The substituters this machine uses, for the facts of paths the cache counts as present upstream. */
  substituters: DiffSources['substituters']
  store: LocalStore
}

async function baseToplevel(options: CliDiff): Promise<string | undefined> {
  if (options.base === undefined) {
    const running = await realpath(CURRENT_SYSTEM).catch(() => undefined)
    if (running === undefined)
      throw new Error(
        `no --base given and ${CURRENT_SYSTEM} does not exist here: give --base REV (e.g. --base origin/main)`
      )
    return running
  }
  const git = await localGitFlake(options.flake)
  if (git === undefined)
    throw new Error(`--base needs a flake in a local git checkout, and ${options.flake} is not one`)
  const commit = await resolveCommit(git, options.base)
  return (await toplevelsAt(flakeAtCommit(git, commit), [options.host]))[options.host]
}

/** What switching `host` from the base to the flake as it is here changes, and what it downloads. */
export async function cliDiff(options: CliDiff): Promise<HostDiff> {
  // Strictly here, so an ambiguous or missing name says so (the base may lack the host; that is no error).
  resolveHost(options.host, await configurationNames(options.flake, process.env))
  const head = (await toplevelsAt(options.flake, [options.host]))[options.host]
  if (head === undefined) throw new Error(`${options.flake} has no host ${options.host}`)
  const base = await baseToplevel(options)
  // The base may be the running system, which only this machine's store knows.
  return diffHost(options.host, base, head, {
    cache: options.cache,
    substituters: options.substituters,
    store: options.store,
    baseFromLocalStore: true
  })
}
