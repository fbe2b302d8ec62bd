import * as core from '@actions/core'
import { availableParallelism } from 'node:os'
import * as check from '../inputs/checks.js'
import { checkedReader, readInputs, type InputReader } from '../inputs/reader.js'

export interface PlanInputs {
  flake: string
  hosts: string[]
  cachix?: string
  cachixAuthToken?: string
  cachixUrl: string
  runners: Record<string, string>
  skipCached: boolean
  nixVersion: string
  /** Hosts evaluated at once, each in its own nix eval. */
  evalJobs: number
  /** Pre-warm attribute paths, one row each. */
  attributes: string[]
  /** One row per system with flake checks. */
  checks: boolean
  /** Token Nix uses for github.com while evaluating (access-tokens). */
  githubToken?: string
  /** nix.conf lines for the evaluation. */
  extraNixConfig: string
  /** Other Cachix caches evaluation may substitute from (import-from-derivation). */
  extraPullCaches: string[]
}

const RUNNER_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** The planner's inputs, validated, with the secrets masked before anything can log them. */
export function getPlanInputs(): PlanInputs {
  return readInputs(
    read => parsePlanInputs(read, availableParallelism()),
    name => core.getInput(name),
    value => core.setSecret(value)
  )
}

/** The planner's inputs, checked before anything runs. */
export function parsePlanInputs(readRaw: InputReader, cores = 1): PlanInputs {
  const read = checkedReader(readRaw)
  const text = (name: string): string => read(name).trim()
  const flake = check.flakeRef('flake', read('flake'))
  const hosts = check.hostNames('hosts', read('hosts'))
  const cachix = check.cacheName('cachix', read('cachix'))
  const runners: Record<string, string> = {}
  for (const [system, input, fallback] of [
    ['x86_64-linux', 'x86_64-runner', 'ubuntu-latest'],
    ['aarch64-linux', 'aarch64-runner', 'ubuntu-24.04-arm'],
    ['aarch64-darwin', 'aarch64-darwin-runner', 'macos-15'],
    ['x86_64-darwin', 'x86_64-darwin-runner', 'macos-15-intel']
  ] as const) {
    const label = text(input) || fallback
    if (!RUNNER_LABEL.test(label)) check.fail(input, `"${label}" is not a runner label`)
    runners[system] = label
  }
  // Rows of systems the build legs' remote builders build go to the x86 runner: its leg hands them to the builders.
  for (const system of check.list(read('builder-systems'))) {
    if (runners[system] === undefined)
      check.fail('builder-systems', `"${system}" is not one of ${Object.keys(runners).join(', ')}`)
    runners[system] = runners['x86_64-linux']
  }
  const evalJobs = check.positiveInt('eval-jobs', read('eval-jobs')) ?? cores
  const attributes = check.attributePaths('attributes', read('attributes'))
  return {
    githubToken: text('github-token') || undefined,
    extraNixConfig: check.extraNixConfig('extra-nix-config', read('extra-nix-config')),
    extraPullCaches: check.cacheNames('extra-pull-caches', read('extra-pull-caches')),
    attributes,
    checks: check.bool('checks', read('checks'), false),
    evalJobs,
    nixVersion: check.nixVersion('nix-version', read('nix-version')),
    flake,
    hosts,
    cachix,
    cachixAuthToken: text('cachix-auth-token') || undefined,
    cachixUrl: check.cachixUrl('cachix-url', read('cachix-url')),
    runners,
    skipCached: check.bool('skip-cached', read('skip-cached'), true)
  }
}
