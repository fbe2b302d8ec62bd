import * as core from '@actions/core'
import { decideQemu } from '../../machine/binfmt.js'
import type { HostInfo } from '../../hosts/flake.js'
import type { Inputs } from '../inputs.js'
import { nativeSystem, qemuUnavailable, runnerPlatform } from '../../util/platform.js'
import { prepareInterpreter, qemuVersion, readBinfmtEntries, registerAarch64 } from '../../machine/qemu.js'

/**
 * Registers QEMU for aarch64 when this leg builds aarch64 on another architecture and no remote
 * builder builds it (`remoteSystems`). True when emulation is in use.
 */
export async function setupEmulation(
  inputs: Inputs,
  hosts: HostInfo[],
  remoteSystems: string[] = []
): Promise<boolean> {
  const unavailable = qemuUnavailable(runnerPlatform())
  if (unavailable !== undefined) {
    core.info(`No emulation: ${unavailable}`)
    return false
  }
  const systems = new Set([inputs.system, ...hosts.map(h => h.system)])
  if (systems.has('aarch64-linux') && remoteSystems.includes('aarch64-linux') && inputs.qemu !== 'true') {
    core.info('No emulation: a remote builder builds aarch64-linux')
    return false
  }
  const decision = decideQemu(
    systems.has('aarch64-linux') ? 'aarch64-linux' : inputs.system,
    nativeSystem(),
    inputs.qemu,
    await readBinfmtEntries()
  )
  if (decision.action === 'skip') {
    core.info(`No emulation: ${decision.reason}`)
    return decision.reason.startsWith('already registered')
  }
  const interpreter = await prepareInterpreter(inputs.qemuInterpreter, line => core.info(line))
  const entry = await registerAarch64(interpreter, decision.action === 'replace' ? decision.entry : undefined)
  core.info(
    `Registered ${entry.interpreter} for aarch64 ELF with flags ${entry.flags} (${await qemuVersion(interpreter)})`
  )
  return true
}
