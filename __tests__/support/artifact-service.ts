/**
 * A local stand-in for the Actions artifact service that @actions/artifact (v2 and later) talks to,
 * answering as the real one does, so the client runs unchanged:
 * - the results service's Twirp JSON API at ACTIONS_RESULTS_URL
 *   (`/twirp/github.actions.results.api.v1.ArtifactService/<Method>`, snake_case fields, int64 as
 *   strings), the caller named by the `Actions.Results:<run>:<job>` scope of its runtime token;
 * - the blob storage behind its signed URLs (Azure Put Block / Put Block List, then a GET).
 * Like the real service it keeps an artifact per name and run (a second one is 409 Conflict),
 * lists only finalized artifacts of the caller's run, and refuses a token it did not issue (401).
 */
import { randomBytes } from 'node:crypto'
import { listen, readBody, readJsonBody, sendJson, type Listening } from './http-stand-in.js'

const SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService/'

export interface StoredArtifact {
  id: number
  run: string
  job: string
  name: string
  createdAt: Date
  contentType?: string
  /** Staged blocks by id, until the block list commits them. */
  blocks: Map<string, Buffer>
  content?: Buffer
  finalized: boolean
  signature: string
}

export interface ArtifactService extends Listening {
  artifacts: StoredArtifact[]
  /** When true, every request is answered 503 (the service down). */
  down: boolean
  /** The variables a job's JavaScript action gets from the runner, for job `job` of run `run`. */
  jobEnv(run: string, job: string): { ACTIONS_RUNTIME_TOKEN: string; ACTIONS_RESULTS_URL: string }
  /** What a job's artifact holds, by name, for tests to look at. */
  content(run: string, name: string): Buffer | undefined
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** A token shaped like the runner's: a JWT whose scp claim names the run and job (the client only decodes it). */
function runtimeToken(run: string, job: string): string {
  const claims = {
    scp: `Actions.ExampleScope Actions.Results:${run}:${job}`,
    nbf: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 6 * 3600
  }
  return `${base64url({ typ: 'JWT', alg: 'RS256' })}.${base64url(claims)}.${randomBytes(16).toString('base64url')}`
}

function twirpError(code: string, msg: string): Record<string, unknown> {
  return { code, msg }
}

export async function startArtifactService(): Promise<ArtifactService> {
  const artifacts: StoredArtifact[] = []
  const tokens = new Map<string, { run: string; job: string }>()
  let nextId = 1
  const state = { artifacts, down: false }

  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    if (state.down) return sendJson(res, 503, twirpError('unavailable', 'service unavailable'))
    if (url.pathname.startsWith(SERVICE) && req.method === 'POST') {
      const caller = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''))
      if (caller === undefined) return sendJson(res, 401, twirpError('unauthenticated', 'invalid runtime token'))
      const body = await readJsonBody(req)
      const method = url.pathname.slice(SERVICE.length)
      // A job writes artifacts as itself, and reads any of its run's (each named with the job that made it).
      const writes = method === 'CreateArtifact' || method === 'FinalizeArtifact'
      if (body.workflow_run_backend_id !== caller.run || (writes && body.workflow_job_run_backend_id !== caller.job))
        return sendJson(res, 403, twirpError('permission_denied', 'the token does not name this run and job'))
      const ofRun = artifacts.filter(a => a.run === caller.run)
      if (method === 'CreateArtifact') {
        const name = typeof body.name === 'string' ? body.name : ''
        if (name === '') return sendJson(res, 400, twirpError('invalid_argument', 'name is required'))
        if (ofRun.some(a => a.name === name))
          return sendJson(
            res,
            409,
            twirpError('already_exists', 'an artifact with this name already exists on the workflow run')
          )
        const artifact: StoredArtifact = {
          id: nextId++,
          run: caller.run,
          job: caller.job,
          name,
          createdAt: new Date(),
          blocks: new Map(),
          finalized: false,
          signature: randomBytes(12).toString('hex')
        }
        artifacts.push(artifact)
        return sendJson(res, 200, {
          ok: true,
          signed_upload_url: `${server.url}/blob/${artifact.id}?sig=${artifact.signature}`
        })
      }
      if (method === 'FinalizeArtifact') {
        const artifact = ofRun.find(a => a.name === body.name && !a.finalized)
        if (artifact === undefined) return sendJson(res, 404, twirpError('not_found', 'artifact not found'))
        if (artifact.content === undefined || String(artifact.content.length) !== String(body.size))
          return sendJson(res, 400, twirpError('invalid_argument', 'the uploaded size does not match'))
        artifact.finalized = true
        return sendJson(res, 200, { ok: true, artifact_id: String(artifact.id) })
      }
      if (method === 'ListArtifacts') {
        const nameFilter = (body.name_filter as string | undefined) ?? undefined
        const idFilter = (body.id_filter as string | undefined) ?? undefined
        const listed = ofRun
          .filter(a => a.finalized)
          .filter(a => nameFilter === undefined || a.name === nameFilter)
          .filter(a => idFilter === undefined || String(a.id) === String(idFilter))
        return sendJson(res, 200, {
          artifacts: listed.map(a => ({
            workflow_run_backend_id: a.run,
            workflow_job_run_backend_id: a.job,
            database_id: String(a.id),
            name: a.name,
            size: String(a.content?.length ?? 0),
            created_at: a.createdAt.toISOString()
          }))
        })
      }
      if (method === 'GetSignedArtifactURL') {
        const artifact = ofRun.find(
          a => a.name === body.name && a.job === body.workflow_job_run_backend_id && a.finalized
        )
        if (artifact === undefined) return sendJson(res, 404, twirpError('not_found', 'artifact not found'))
        return sendJson(res, 200, { signed_url: `${server.url}/blob/${artifact.id}?sig=${artifact.signature}` })
      }
      if (method === 'DeleteArtifact') {
        const artifact = ofRun.find(a => a.name === body.name && a.finalized)
        if (artifact === undefined) return sendJson(res, 404, twirpError('not_found', 'artifact not found'))
        artifacts.splice(artifacts.indexOf(artifact), 1)
        return sendJson(res, 200, { ok: true, artifact_id: String(artifact.id) })
      }
      return sendJson(res, 404, twirpError('bad_route', `no method ${method}`))
    }
    const blob = /^\/blob\/(\d+)$/.exec(url.pathname)
    const artifact = blob ? artifacts.find(a => a.id === Number(blob[1])) : undefined
    if (artifact === undefined || url.searchParams.get('sig') !== artifact.signature) {
      res.writeHead(403, { 'x-ms-error-code': 'AuthenticationFailed' }).end()
      return
    }
    const azureHeaders = { 'x-ms-request-id': randomBytes(8).toString('hex'), 'x-ms-version': '2025-01-05' }
    if (req.method === 'PUT') {
      const data = await readBody(req)
      const comp = url.searchParams.get('comp')
      if (comp === 'block') artifact.blocks.set(url.searchParams.get('blockid') ?? '', data)
      else if (comp === 'blocklist') {
        const ids = [...data.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map(m => m[1])
        if (ids.some(id => !artifact.blocks.has(id))) {
          res.writeHead(400, { ...azureHeaders, 'x-ms-error-code': 'InvalidBlockList' }).end()
          return
        }
        artifact.content = Buffer.concat(ids.map(id => artifact.blocks.get(id)!))
        artifact.contentType = req.headers['x-ms-blob-content-type'] as string | undefined
        artifact.blocks.clear()
      } else {
        artifact.content = data
        artifact.contentType =
          (req.headers['x-ms-blob-content-type'] as string | undefined) ?? req.headers['content-type']
      }
      res
        .writeHead(201, { ...azureHeaders, ETag: `"0x${artifact.id}"`, 'Last-Modified': new Date().toUTCString() })
        .end()
      return
    }
    if (req.method === 'GET' && artifact.finalized && artifact.content !== undefined) {
      res.writeHead(200, {
        ...azureHeaders,
        'Content-Type': artifact.contentType ?? 'application/octet-stream',
        'Content-Length': artifact.content.length
      })
      res.end(artifact.content)
      return
    }
    res.writeHead(404, { 'x-ms-error-code': 'BlobNotFound' }).end()
  })

  return Object.assign(state, server, {
    jobEnv(run: string, job: string) {
      const token = runtimeToken(run, job)
      tokens.set(token, { run, job })
      return { ACTIONS_RUNTIME_TOKEN: token, ACTIONS_RESULTS_URL: `${server.url}/` }
    },
    content(run: string, name: string) {
      return artifacts.find(a => a.run === run && a.name === name && a.finalized)?.content
    }
  })
}
