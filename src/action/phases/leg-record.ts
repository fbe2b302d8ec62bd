/**
 * A leg's record for the report (src/report/leg-record.ts), uploaded as one of the run's artifacts.
 * Never fails the leg: its build matters more than its record, and the report judges every host
 * by the cache whatever the records say.
 */
import * as core from '@actions/core'
import { DefaultArtifactClient } from '@actions/artifact'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LEG_RECORD_FILE, legArtifactName, legRecordsOf, type LegEnd, type LegRecord } from '../../report/leg-record.js'
import { errorMessage } from '../../util/errors.js'
import type { Inputs } from '../inputs.js'

/** The part of @actions/artifact's client a leg writes with. */
export interface ArtifactWriter {
  uploadArtifact(name: string, files: string[], rootDirectory: string): Promise<{ id?: number }>
}

/** Writes the record under `dir` and uploads it as the row's artifact for this attempt. */
export async function uploadLegRecord(store: ArtifactWriter, record: LegRecord, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, LEG_RECORD_FILE)
  writeFileSync(file, JSON.stringify(record))
  const name = legArtifactName(record.row, record.attempt)
  await store.uploadArtifact(name, [file], dir)
  return name
}

/** Whether this job can reach the run's artifacts (a runner sets both for every step; the report reads them). */
export function canRecordLeg(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.ACTIONS_RUNTIME_TOKEN ?? '') !== '' && (env.ACTIONS_RESULTS_URL ?? '') !== ''
}

/**
 * How the leg ended, one record per row it ran, for the report job, its files under `dir`. A
 * failed upload is a warning.
 */
export async function recordLegPhase(
  inputs: Inputs,
  dir: string,
  end: Omit<LegEnd, 'system' | 'attempt' | 'checks'>
): Promise<void> {
  const records = legRecordsOf({
    ...end,
    system: inputs.system,
    attempt: Number(process.env.GITHUB_RUN_ATTEMPT ?? '1') || 1,
    checks: inputs.checks
  })
  const client = new DefaultArtifactClient()
  for (const [i, record] of records.entries()) {
    try {
      core.info(`Uploaded ${await uploadLegRecord(client, record, join(dir, 'leg-records', String(i)))}`)
    } catch (error: unknown) {
      core.warning(`the leg's record for the report could not be uploaded: ${errorMessage(error)}`)
    }
  }
}
