/**
 * The legs' records, read back from the run's artifacts (each leg uploads one: see
 * src/action/phases/leg-record.ts). Never fails the report: it judges hosts by the cache whatever
 * the records say.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  LEG_RECORD_FILE,
  latestRecords,
  legArtifactAttempt,
  parseLegRecord,
  type LegRecord
} from '../report/leg-record.js'
import { errorMessage } from '../util/errors.js'

/** The part of @actions/artifact's client the report reads with. */
export interface ArtifactReader {
  listArtifacts(options?: { latest?: boolean }): Promise<{ artifacts: { id: number; name: string }[] }>
  downloadArtifact(id: number, options?: { path?: string }): Promise<{ downloadPath?: string }>
}

interface ReadRecords {
  /** The latest attempt's record of each row, by row key. */
  records: Map<string, LegRecord>
  /** What could not be read, one line each. */
  problems: string[]
}

/** Every leg record of the run, each downloaded under `dir`. Never throws. */
export async function readLegRecords(store: ArtifactReader, dir: string): Promise<ReadRecords> {
  const problems: string[] = []
  const read: LegRecord[] = []
  let listed: { id: number; name: string }[]
  try {
    listed = (await store.listArtifacts()).artifacts.filter(a => legArtifactAttempt(a.name) !== undefined)
  } catch (error: unknown) {
    return { records: new Map(), problems: [`the run's artifacts could not be listed: ${errorMessage(error)}`] }
  }
  for (const artifact of listed) {
    try {
      const into = join(dir, String(artifact.id))
      const { downloadPath } = await store.downloadArtifact(artifact.id, { path: into })
      read.push(parseLegRecord(readFileSync(join(downloadPath ?? into, LEG_RECORD_FILE), 'utf8')))
    } catch (error: unknown) {
      problems.push(`the record ${artifact.name} could not be read: ${errorMessage(error)}`)
    }
  }
  return { records: latestRecords(read), problems }
}
