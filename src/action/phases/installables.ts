import * as core from '@actions/core'
import { installable } from '../../hosts/configurations.js'
import { checkNames } from '../../hosts/flake-checks.js'
import { attributeOutPath, type HostInfo } from '../../hosts/flake.js'
import type { Run } from './run.js'

export interface Installables {
  /** What `nix build` gets: the hosts still to build, then the pre-warm attributes. */
  installables: string[]
  /** The hosts the cache check left to build. */
  toBuild: HostInfo[]
  /** The pre-warm attributes' output paths, then the checks'. */
  attributeOutputs: string[]
}

/** checks.<system>.<name> as an attribute path, the name quoted when it is not a plain identifier. */
function checkAttribute(system: string, name: string): string {
  return `checks.${system}.${/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) ? name : JSON.stringify(name)}`
}

/** The installables of this leg: the hosts the cache does not hold whole, then the pre-warm attributes. */
export async function installablesPhase(run: Run, hosts: HostInfo[], cached: Set<string>): Promise<Installables> {
  const { flake, system } = run.inputs
  const checks = run.inputs.checks ? await checkNames(flake, system, run.env) : []
  if (run.inputs.checks) core.info(`checks.${system}: ${checks.length === 0 ? 'none' : checks.join(', ')}`)
  const attributes = [...run.inputs.attributes, ...checks.map(name => checkAttribute(system, name))]
  const toBuild = hosts.filter(h => !cached.has(h.outPath))
  const attributeOutputs: string[] = []
  for (const attribute of attributes) attributeOutputs.push(await attributeOutPath(flake, attribute, run.env))
  const installables = [...toBuild.map(h => installable(flake, h)), ...attributes.map(a => `${flake}#${a}`)]
  for (const line of installables) core.info(line)
  return { installables, toBuild, attributeOutputs }
}
