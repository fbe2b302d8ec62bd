import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { newJob, REPO, runStep, type StepResult } from '../../harness/runner.js'
import type { GitHubRepoStandIn } from './github-repo-api.js'

/** What the runner tells a step of run `run` of alice/seeds, pushed to main at `head`, with the API at the stand-in. */
export function pushRunEnv(
  api: GitHubRepoStandIn,
  run: number,
  head: string,
  eventPath: string
): Record<string, string> {
  return {
    GITHUB_API_URL: api.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'alice/seeds',
    GITHUB_RUN_ID: String(run),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: head,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: eventPath
  }
}

/** Writes the event of a push to alice/seeds (whose default branch is main) into `dir`; returns its path. */
export async function writePushEvent(dir: string): Promise<string> {
  const path = join(dir, 'event.json')
  await writeFile(path, JSON.stringify({ repository: { default_branch: 'main' } }))
  return path
}

/** The report sub-action's bundle, run as a runner runs it, in a job of its own. */
export async function reportStep(
  cwd: string,
  inputs: Record<string, string>,
  env: Record<string, string>
): Promise<StepResult> {
  return runStep({
    step: 'report',
    actionFile: join(REPO, 'report', 'action.yml'),
    job: await newJob(),
    cwd,
    inputs,
    env
  })
}
