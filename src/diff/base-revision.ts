import { isAbsolute, resolve } from 'node:path'
import { configurationNames } from '../hosts/flake.js'
import { byKind, findHost, kindSpec, outPathsExpression, type Host } from '../hosts/configurations.js'
import { runCommand } from '../util/process.js'
import { runNix } from '../nix/command.js'
import { errorMessage } from '../util/errors.js'

export interface GitFlake {
  /** The work tree's top directory. */
  top: string
  /** The flake's directory inside it ("" at the top). */
  dir: string
  shallow: boolean
}

/** The git checkout a flake reference points into, or undefined when it is not a local checkout. */
export async function localGitFlake(
  flake: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<GitFlake | undefined> {
  const local =
    flake.startsWith('path:') || flake.startsWith('git+file:')
      ? flake.replace(/^(path|git\+file):(\/\/)?/, '').replace(/\?.*$/, '')
      : flake
  if (/^[a-z+]+:/.test(local)) return undefined
  const path = isAbsolute(local) ? local : resolve(local)
  const found = await runCommand(
    'git',
    ['-C', path, 'rev-parse', '--show-toplevel', '--show-prefix', '--is-shallow-repository'],
    { env, okCodes: [128] }
  )
  if (found.code !== 0) return undefined
  const [top, prefix, shallow] = found.stdout.split('\n')
  return { top, dir: prefix.replace(/\/$/, ''), shallow: shallow === 'true' }
}

async function hasCommit(git: GitFlake, revision: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const found = await runCommand('git', ['-C', git.top, 'rev-parse', '--verify', '--quiet', `${revision}^{commit}`], {
    env,
    okCodes: [1, 128]
  })
  return found.code === 0 ? found.stdout.trim() : undefined
}

/** The commit `revision` names, fetched from origin (just that commit) when the checkout lacks it. */
export async function resolveCommit(
  git: GitFlake,
  revision: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<string> {
  const here = await hasCommit(git, revision, env)
  if (here !== undefined) return here
  try {
    await runCommand('git', ['-C', git.top, 'fetch', '--no-tags', '--quiet', '--depth=1', 'origin', revision], { env })
  } catch (error: unknown) {
    throw new Error(
      `the checkout does not have ${revision} and fetching it from origin failed (${errorMessage(error)}): check out with fetch-depth: 0, or give diff-base a planner's toplevels output`,
      { cause: error }
    )
  }
  const fetched = (await hasCommit(git, revision, env)) ?? (await hasCommit(git, 'FETCH_HEAD', env))
  if (fetched === undefined) throw new Error(`${revision} is not a commit of ${git.top}`)
  return fetched
}

/** The merge base from the local history; undefined when the history is too shallow to tell. */
export async function localMergeBase(
  git: GitFlake,
  base: string,
  head: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<string | undefined> {
  const found = await runCommand('git', ['-C', git.top, 'merge-base', base, head], { env, okCodes: [1, 128] })
  return found.code === 0 ? found.stdout.trim() : undefined
}

/** The flake at one commit, evaluated as Nix evaluates a clean checkout of it. */
export function flakeAtCommit(git: GitFlake, commit: string): string {
  const query = [`rev=${commit}`]
  // Nix 2.20 and later refuse a shallow repository unless told.
  if (git.shallow) query.push('shallow=1')
  if (git.dir !== '') query.push(`dir=${encodeURIComponent(git.dir)}`)
  return `git+file://${git.top}?${query.join('&')}`
}

/**
 * Each host's toplevel (of whichever kind it is) at `flakeRef`, evaluating only those hosts, keyed
 * as given; hosts it lacks, or names ambiguously there, are left out (a new host has no base).
 */
export async function toplevelsAt(
  flakeRef: string,
  hosts: string[],
  env: NodeJS.ProcessEnv = process.env
): Promise<Record<string, string>> {
  if (hosts.length === 0) return {}
  const names = await configurationNames(flakeRef, env)
  const found = hosts
    .map(reference => ({ reference, host: findHost(reference, names) }))
    .filter((f): f is { reference: string; host: Host } => f.host !== undefined)
  const toplevels: Record<string, string> = {}
  for (const [kind, group] of byKind(found.map(f => ({ ...f.host, reference: f.reference })))) {
    const apply = outPathsExpression(
      kind,
      group.map(h => h.attribute)
    )
    const { stdout } = await runNix(['eval', '--json', `${flakeRef}#${kindSpec(kind).output}`, '--apply', apply], {
      env
    })
    const raw = JSON.parse(stdout) as Record<string, { out: string }>
    for (const host of group) if (raw[host.attribute] !== undefined) toplevels[host.reference] = raw[host.attribute].out
  }
  return toplevels
}
