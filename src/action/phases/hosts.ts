import * as core from '@actions/core'
import { availableParallelism } from 'node:os'
import { allHosts, kindSpec, resolveHosts, type ConfigurationNames, type Host } from '../../hosts/configurations.js'
import { evaluateEach, hostTargets } from '../../hosts/evaluate.js'
import { allHostSystems, configurationNames, hostDetails, type HostInfo } from '../../hosts/flake.js'
import { selectHosts } from '../../hosts/select.js'
import type { Finding } from '../../report/finding.js'
import { errorMessage } from '../../util/errors.js'
import { State } from '../constants.js'
import type { Run } from './run.js'

/**
 * Every host and its system, in one evaluation per kind; when that fails, each host in its own
 * `nix eval` (as the planner does), so that a host that does not evaluate becomes an error
 * finding and hides none of the others. Only when no host evaluates does the leg fail here.
 */
async function everyHostSystem(
  flake: string,
  env: NodeJS.ProcessEnv,
  findings: Finding[]
): Promise<{ names: ConfigurationNames; systems: Record<string, string | null> }> {
  try {
    return await allHostSystems(flake, env)
  } catch (error: unknown) {
    const names = await configurationNames(flake, env)
    const hosts = allHosts(names)
    core.info(
      `Evaluating the hosts together failed; evaluating each of ${hosts.length} on its own (${errorMessage(error).split('\n')[0]})`
    )
    // Only their systems are used here; hostDetails lists the imports of this leg's hosts.
    const { evaluated, failed } = await evaluateEach(flake, hostTargets(hosts), env, {
      jobs: availableParallelism(),
      imports: false
    })
    if (evaluated.length === 0) throw error
    for (const failure of failed)
      findings.push({
        level: 'error',
        message: `host ${failure.name} does not evaluate, so no leg builds it: ${failure.error}`
      })
    return { names, systems: Object.fromEntries(evaluated.map(e => [e.name, e.system])) }
  }
}

/** The hosts of this leg, evaluated, and recorded for the post step (which pushes what of them was built). */
export async function hostsPhase(run: Run): Promise<HostInfo[]> {
  const hosts = await legHosts(run)
  core.saveState(State.Hosts, JSON.stringify(hosts.map(h => ({ id: h.id, system: h.system, outPath: h.outPath }))))
  return hosts
}

/** A leg that names its hosts evaluates only those. */
async function legHosts({ inputs, env, findings }: Run): Promise<HostInfo[]> {
  if (inputs.hosts.length === 0 && inputs.checks) {
    core.info(`A checks leg: building the flake's checks.${inputs.system} and no host`)
    return []
  }
  if (inputs.hosts.length === 0 && inputs.attributes.length > 0) {
    core.info(`A pre-warm leg: building ${inputs.attributes.join(', ')} and no host`)
    return []
  }
  // A leg that names its hosts evaluates only those (their names are listed, no configuration evaluated):
  // another host's broken or costly evaluation is not its concern. Without names, one evaluation per kind lists every host and its system.
  const { names, systems } =
    inputs.hosts.length > 0
      ? await configurationNames(inputs.flake, env).then(listed => ({
          names: listed,
          systems: Object.fromEntries(allHosts(listed).map(h => [h.id, null]))
        }))
      : await everyHostSystem(inputs.flake, env, findings)
  const all = allHosts(names)
  const named = inputs.hosts.length > 0 ? resolveHosts(inputs.hosts, names) : undefined
  const selection = selectHosts(
    systems,
    (named ?? []).map(h => h.id),
    inputs.system
  )
  core.info(
    `Hosts for ${inputs.system}: ${selection.hosts.join(', ') || 'none'}${selection.otherSystems.length > 0 ? ` (other legs: ${selection.otherSystems.join(', ')})` : ''}`
  )
  const details = await hostDetails(
    inputs.flake,
    selection.hosts.map(id => all.find(h => h.id === id)).filter((h): h is Host => h !== undefined),
    env
  )
  for (const host of details) {
    core.info(
      `${host.id} (${host.kind === 'nixos' ? '' : `${kindSpec(host.kind).label}, `}${host.system}): ${host.outPath}`
    )
    logImports(host, findings)
  }
  return details
}

/** What a host's evaluation imports: the cache check and the push treat their closures as the host's. */
function logImports(host: HostInfo, findings: Finding[]): void {
  if (host.imports.length > 0)
    core.info(
      `${host.id}: its evaluation imports ${host.imports.length} path${host.imports.length === 1 ? '' : 's'}: ${host.imports.join(', ')}`
    )
  if (host.importsUnknown !== undefined)
    findings.push({
      level: 'warning',
      message: `${host.id}: what its evaluation imports could not all be listed, so some may not reach the cache: ${host.importsUnknown}`
    })
}
