import * as core from '@actions/core'
import { installable } from '../../hosts/configurations.js'
import { attributeOutPath, type HostInfo } from '../../hosts/flake.js'
import type { Run } from './run.js'

export interface Installables {
  /** What `nix build` gets: the hosts still to build, then the pre-warm attributes. */
  installables: string[]
  /** The hosts the cache check left to build. */
  toBuild: HostInfo[]
  /** The pre-warm attributes' output paths. */
  attributeOutputs: string[]
}

/** The installables of this leg: the hosts the cache does not hold whole, then the pre-warm attributes. */
export async function installablesPhase(run: Run, hosts: HostInfo[], cached: Set<string>): Promise<Installables> {
  const { flake, attributes } = run.inputs
  const toBuild = hosts.filter(h => !cached.has(h.outPath))
  const attributeOutputs: string[] = []
  for (const attribute of attributes) attributeOutputs.push(await attributeOutPath(flake, attribute, run.env))
  const installables = [...toBuild.map(h => installable(flake, h)), ...attributes.map(a => `${flake}#${a}`)]
  for (const line of installables) core.info(line)
  return { installables, toBuild, attributeOutputs }
}
