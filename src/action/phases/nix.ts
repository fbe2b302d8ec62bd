import * as core from '@actions/core'
import { ensureNix } from '../../nix/install.js'
import type { Tristate } from '../inputs.js'
import { STEP_LOG } from './step-log.js'

/** Nix, installed when it is missing (unless install-nix is false); later steps of the job find it on PATH. Returns its version. */
export async function nixPhase(
  nix: { nixVersion: string; installNix: Tristate },
  env: NodeJS.ProcessEnv
): Promise<string> {
  const found = await ensureNix(nix.nixVersion, nix.installNix !== 'false', env, STEP_LOG)
  if (found.installedBin !== undefined) core.addPath(found.installedBin)
  return found.version
}
