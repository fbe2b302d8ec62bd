/**
 * The legs' records through the run's artifacts: each leg uploads one (src/report/leg-record.ts),
 * the report job lists and reads them all. Neither side fails over it: a leg's build matters more
 * than its record, and the report judges hosts by the cache whatever the records say.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  LEG_RECORD_FILE,
  latestRecords,
  legArtifactAttempt,
  legArtifactName,
  parseLegRecord,
  type LegRecord
} from '../report/leg-record.js'
import { errorMessage } from '../util/process.js'

/** The part of @actions/artifact's client used here. */
export interface ArtifactStore {
  uploadArtifact(name: string, files: string[], rootDirectory: string): Promise<{ id?: number }>
  listArtifacts(options?: { latest?: boolean }): Promise<{ artifacts: { id: number; name: string }[] }>
  downloadArtifact(id: number, options?: { path?: string }): Promise<{ downloadPath?: string }>
}

/** Writes the record under `dir` and uploads it as the row's artifact for this attempt. */
export async function uploadLegRecord(store: ArtifactStore, record: LegRecord, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, LEG_RECORD_FILE)
  writeFileSync(file, JSON.stringify(record))
  const name = legArtifactName(record.row, record.attempt)
  await store.uploadArtifact(name, [file], dir)
  return name
}

export interface ReadRecords {
  /** The latest attempt's record of each row, by row key. */
  records: Map<string, LegRecord>
  /** What could not be read, one line each. */
  problems: string[]
}

/** Every leg record of the run, each downloaded under `dir`. Never throws. */
export async function readLegRecords(store: ArtifactStore, dir: string): Promise<ReadRecords> {
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
