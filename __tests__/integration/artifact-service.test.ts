import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { DefaultArtifactClient } from '@actions/artifact'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startArtifactService, type ArtifactService } from '../support/artifact-service.js'
import { LEG_RECORD_FILE, legArtifactName } from '../../src/report/leg-record.js'

// The stand-in is only worth something if the real client runs against it unchanged: this is that check.
const RUN = '5f1a0c6e-0000-4000-8000-000000000001'
let service: ArtifactService
let dir: string
const saved = { ...process.env }

function asJob(run: string, job: string): void {
  Object.assign(process.env, service.jobEnv(run, job))
}

beforeAll(async () => {
  service = await startArtifactService()
  dir = mkdtempSync(join(tmpdir(), 'artifact-stand-in-'))
  process.env.ACTIONS_ARTIFACT_UPLOAD_TIMEOUT_MS = '20000'
  delete process.env.GITHUB_SERVER_URL
})

afterAll(async () => {
  process.env = saved
  rmSync(dir, { recursive: true, force: true })
  await service.close()
})

describe('the artifact service stand-in, driven by @actions/artifact', () => {
  const name = legArtifactName({ kind: 'host', host: 'home:alice@nas', system: 'x86_64-linux' }, 1)
  const record = JSON.stringify({ version: 1, status: 'ok', note: 'x'.repeat(10_000) })

  it('a leg uploads its record; the report job of the same run lists and downloads it', async () => {
    const client = new DefaultArtifactClient()
    writeFileSync(join(dir, LEG_RECORD_FILE), record)
    asJob(RUN, 'job-desktop')
    const uploaded = await client.uploadArtifact(name, [join(dir, LEG_RECORD_FILE)], dir, { retentionDays: 1 })
    expect(uploaded.id).toBeGreaterThan(0)

    asJob(RUN, 'job-report')
    const { artifacts } = await client.listArtifacts({ latest: true })
    expect(artifacts.map(a => a.name)).toEqual([name])
    const into = join(dir, 'down')
    await client.downloadArtifact(artifacts[0].id, { path: into })
    expect(readFileSync(join(into, LEG_RECORD_FILE), 'utf8')).toBe(record)
  })

  it('refuses a second artifact of the same name in the run, as GitHub does (409)', async () => {
    asJob(RUN, 'job-desktop-rerun')
    await expect(new DefaultArtifactClient().uploadArtifact(name, [join(dir, LEG_RECORD_FILE)], dir)).rejects.toThrow(
      /409/
    )
  })

  it('another run sees none of it, and a token it did not issue is refused', async () => {
    asJob('another-run', 'job-report')
    expect((await new DefaultArtifactClient().listArtifacts()).artifacts).toEqual([])
    process.env.ACTIONS_RUNTIME_TOKEN = 'e30.eyJzY3AiOiJBY3Rpb25zLlJlc3VsdHM6YTpiIn0.x'
    await expect(new DefaultArtifactClient().listArtifacts()).rejects.toThrow(/401/)
  })
})
