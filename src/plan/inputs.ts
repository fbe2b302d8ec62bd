import { isValidCacheName } from '../cachix/names.js'

export interface PlanInputs {
  flake: string
  hosts: string[]
  cachix?: string
  cachixAuthToken?: string
  cachixUrl: string
  runners: Record<string, string>
  skipCached: boolean
  nixVersion: string
}

export type InputReader = (name: string) => string

function fail(name: string, message: string): never {
  throw new Error(`input ${name}: ${message}`)
}

const RUNNER_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** The planner's inputs, checked before anything runs. */
export function parsePlanInputs(read: InputReader): PlanInputs {
  const text = (name: string): string => read(name).trim()
  const flake = text('flake') || '.'
  if (/\s/.test(flake)) fail('flake', `"${flake}" contains spaces`)
  const hosts = read('hosts').split(/[\s,]+/).filter(h => h !== '')
  for (const host of hosts) if (!/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(host)) fail('hosts', `"${host}" is not a nixosConfigurations attribute name`)
  const cachix = text('cachix') || undefined
  if (cachix !== undefined && !isValidCacheName(cachix)) fail('cachix', `"${cachix}" is not a Cachix cache name (lowercase letters, digits and dashes)`)
  const runners: Record<string, string> = {}
  for (const [system, input, fallback] of [
    ['x86_64-linux', 'x86_64-runner', 'ubuntu-latest'],
    ['aarch64-linux', 'aarch64-runner', 'ubuntu-24.04-arm']
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
  return { nixVersion, flake, hosts, cachix, cachixAuthToken: text('cachix-auth-token') || undefined, cachixUrl, runners, skipCached: skip === 'true' }
}
