import { isValidCacheName } from '../cachix/names.js'
import { parseHostReference } from '../nix/configurations.js'

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
  /** Token Nix uses for github.com while evaluating (access-tokens). */
  githubToken?: string
  /** nix.conf lines for the evaluation. */
  extraNixConfig: string
  /** Other Cachix caches evaluation may substitute from (import-from-derivation). */
  extraPullCaches: string[]
}

export type InputReader = (name: string) => string

function fail(name: string, message: string): never {
  throw new Error(`input ${name}: ${message}`)
}

// By code point rather than a regular expression with control characters in it.
function hasControl(text: string): boolean {
  return [...text].some(c => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
}

const ATTRIBUTE_PATH = /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*|\."[^"]+")*$/
const RUNNER_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** The planner's inputs, checked before anything runs. */
export function parsePlanInputs(read: InputReader, cores = 1): PlanInputs {
  const text = (name: string): string => read(name).trim()
  const flake = text('flake') || '.'
  if (/\s/.test(flake)) fail('flake', `"${flake}" contains spaces`)
  const hosts = read('hosts')
    .split(/[\s,]+/)
    .filter(h => h !== '')
  for (const host of hosts) {
    try {
      parseHostReference(host)
    } catch (error: unknown) {
      fail('hosts', error instanceof Error ? error.message : String(error))
    }
  }
  const cachix = text('cachix') || undefined
  if (cachix !== undefined && !isValidCacheName(cachix)) fail('cachix', `"${cachix}" is not a Cachix cache name (lowercase letters, digits and dashes)`)
  const runners: Record<string, string> = {}
  for (const [system, input, fallback] of [
    ['x86_64-linux', 'x86_64-runner', 'ubuntu-latest'],
    ['aarch64-linux', 'aarch64-runner', 'ubuntu-24.04-arm'],
    ['aarch64-darwin', 'aarch64-darwin-runner', 'macos-15'],
    ['x86_64-darwin', 'x86_64-darwin-runner', 'macos-15-intel']
  ] as const) {
    const label = text(input) || fallback
    if (!RUNNER_LABEL.test(label)) fail(input, `"${label}" is not a runner label`)
    runners[system] = label
  }
  const skip = (text('skip-cached') || 'true').toLowerCase()
  if (skip !== 'true' && skip !== 'false') fail('skip-cached', `"${skip}" is not true or false`)
  const cachixUrl = text('cachix-url') || 'https://cachix.org'
  if (!/^https?:\/\/[^\s/]+/.test(cachixUrl)) fail('cachix-url', `"${cachixUrl}" is not an http(s) URL`)
  const nixVersion = text('nix-version') || '2.35.1'
  if (!/^\d+\.\d+(\.\d+)?$/.test(nixVersion)) fail('nix-version', `"${nixVersion}" is not a Nix release such as 2.35.1`)
  const evalJobsText = text('eval-jobs')
  if (evalJobsText !== '' && !/^[1-9]\d*$/.test(evalJobsText)) fail('eval-jobs', `"${evalJobsText}" is not a positive whole number`)
  const evalJobs = evalJobsText === '' ? cores : Number(evalJobsText)
  const attributes = read('attributes')
    .split(/[\s,]+/)
    .filter(a => a !== '')
  for (const attribute of attributes) if (!ATTRIBUTE_PATH.test(attribute)) fail('attributes', `"${attribute}" is not an attribute path such as nixosConfigurations.host.pkgs.hello`)
  const githubToken = text('github-token') || undefined
  if (githubToken !== undefined && (/\s/.test(githubToken) || hasControl(githubToken))) fail('github-token', 'contains white space or a control character: paste the secret alone')
  const extraNixConfig = read('extra-nix-config')
  for (const line of extraNixConfig.split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    if (hasControl(trimmed.replace(/\t/g, ' '))) fail('extra-nix-config', 'contains a control character: type it as plain text')
    if (!/^[A-Za-z0-9-]+\s*=/.test(trimmed) && !/^!?include\s+\S/.test(trimmed)) fail('extra-nix-config', `line "${trimmed}" is not "name = value"`)
  }
  const extraPullCaches = read('extra-pull-caches')
    .split(/[\s,]+/)
    .filter(c => c !== '')
  for (const name of extraPullCaches) if (!isValidCacheName(name)) fail('extra-pull-caches', `"${name}" is not a Cachix cache name`)
  return { githubToken, extraNixConfig, extraPullCaches, attributes, evalJobs, nixVersion, flake, hosts, cachix, cachixAuthToken: text('cachix-auth-token') || undefined, cachixUrl, runners, skipCached: skip === 'true' }
}
