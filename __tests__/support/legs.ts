import { newJob, runStep, type RunnerFiles, type StepResult } from '../../harness/runner.js'
import type { startTestServer } from './server.js'
import { WRITE_TOKEN } from './server.js'

export type Server = Awaited<ReturnType<typeof startTestServer>>
export const CACHE = 'fleet'

export interface Leg {
  main: StepResult
  post: StepResult
  job: RunnerFiles
}

/** One job of the workflow: main, then post, with the cache's inputs under `inputs`. */
export async function leg(
  server: Server,
  flake: string,
  inputs: Record<string, string>,
  job?: RunnerFiles
): Promise<Leg> {
  const files = job ?? (await newJob())
  const all = { cachix: CACHE, 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN, ...inputs }
  const main = await runStep({ step: 'main', job: files, cwd: flake, inputs: all })
  const post = await runStep({ step: 'post', job: files, cwd: flake, inputs: all })
  return { main, post, job: files }
}

export async function inCache(server: Server, path: string): Promise<boolean> {
  return (await fetch(`${server.cacheUrl(CACHE)}/${path.slice(11, 43)}.narinfo`)).status === 200
}
