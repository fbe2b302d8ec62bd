import * as core from '@actions/core'
import { CachixClient } from '../cachix/client.js'
import { hashPart } from '../nix/store-path.js'
import { allHostOutputs } from '../action/flake.js'
import { availableParallelism } from 'node:os'
import { installedNixVersion, installNix, NIX_PROFILE_BIN } from '../action/nix-install.js'
import { errorMessage } from '../util/process.js'
import { parsePlanInputs } from './inputs.js'
import { planMatrix } from './matrix.js'

/** Evaluates the flake once and emits the build matrix, leaving out hosts already cached. */
export async function run(): Promise<void> {
  try {
    const token = core.getInput('cachix-auth-token').trim()
    if (token !== '') core.setSecret(token)
    const inputs = parsePlanInputs(name => core.getInput(name))
    if ((await installedNixVersion()) === undefined) {
      await core.group('Install Nix', () => installNix(inputs.nixVersion, 'extra-experimental-features = nix-command flakes\n', availableParallelism(), line => core.info(line)))
      core.addPath(NIX_PROFILE_BIN)
      process.env.PATH = `${NIX_PROFILE_BIN}:${process.env.PATH ?? ''}`
    }
    const hosts = await core.group('Evaluate hosts', async () => {
      const found = await allHostOutputs(inputs.flake, process.env)
      for (const h of found) core.info(`${h.name} (${h.system}): ${h.outPath}`)
      const unknown = inputs.hosts.filter(h => !found.some(f => f.name === h))
      if (unknown.length > 0) throw new Error(`hosts ${unknown.join(', ')} not found in nixosConfigurations (it has: ${found.map(f => f.name).join(', ')})`)
      return found
    })
    const cached = new Set<string>()
    if (inputs.skipCached && inputs.cachix) {
      const client = new CachixClient({ baseUrl: inputs.cachixUrl, cacheName: inputs.cachix, authToken: inputs.cachixAuthToken })
      await core.group('Check the cache', async () => {
        const missing = await client.missingHashes(hosts.map(h => hashPart(h.outPath)))
        for (const h of hosts) if (!missing.has(hashPart(h.outPath))) cached.add(h.outPath)
        core.info(`${cached.size} of ${hosts.length} toplevels are already in ${inputs.cachix}`)
      })
    }
    const plan = planMatrix(hosts, cached, inputs.runners, inputs.hosts)
    for (const name of plan.unmapped) core.warning(`host ${name} has a system with no runner: it is left out of the matrix`)
    core.setOutput('matrix', JSON.stringify({ include: plan.rows }))
    core.setOutput('hosts', JSON.stringify(plan.rows.map(r => r.host)))
    core.setOutput('any', String(plan.rows.length > 0))
    core.setOutput('cached-hosts', JSON.stringify(plan.cached))
    await core.summary
      .addRaw(`## nix-cachix-build plan\n\n${plan.rows.length === 0 ? 'Nothing to build: every host is cached.' : plan.rows.map(r => `- ${r.host} (${r.system}) on \`${r.runner}\``).join('\n')}\n${plan.cached.length > 0 ? `\nAlready cached: ${plan.cached.join(', ')}\n` : ''}`)
      .write()
  } catch (error: unknown) {
    core.setFailed(errorMessage(error))
  }
}
