import * as core from '@actions/core'
import { NixStore } from '../../nix/store.js'
import { prepareWorkDir, type WorkFiles } from '../../nix-build/work-dir.js'
import type { Finding } from '../../report/finding.js'
import { childEnv } from '../../util/process.js'
import { State } from '../constants.js'
import type { Inputs } from '../inputs.js'

/** What every phase of the main step shares. */
export interface Run {
  inputs: Inputs
  /** The environment of every child process: no inputs, Cachix credentials or runner tokens. */
  env: NodeJS.ProcessEnv
  work: WorkFiles
  /** What the report will say, in the order it happened. */
  findings: Finding[]
  store: NixStore
  startedAt: number
}

/** The run's work directory, recorded for the post step, and what the phases share. */
export async function startRun(inputs: Inputs): Promise<Run> {
  const startedAt = Date.now()
  const env = childEnv()
  const work = await prepareWorkDir(process.env)
  core.saveState(State.WorkDir, work.dir)
  return { inputs, env, work, findings: [], store: new NixStore(env), startedAt }
}
