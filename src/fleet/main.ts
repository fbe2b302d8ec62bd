/**
 * The report sub-action: the fleet's verdict from the cache itself, one summary, a notification,
 * and the branch laptops follow moved only when every host is verified.
 */
import * as core from '@actions/core'
import * as github from '@actions/github'
import { DefaultArtifactClient } from '@actions/artifact'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeWalk, walkTargets } from '../cachix/closure-walk.js'
import { getReportInputs, type ReportInputs } from './inputs.js'
import { openCacheAccess, readerOf, whyUnread } from '../cachix/cache-access.js'
import { renderFleetSummary } from '../report/fleet-summary.js'
import { messageOf, payloadFor, webhookFormat, type RunFacts } from '../report/notification.js'
import { notificationKind, type PreviousOutcome } from '../report/notify-when.js'
import { promotionBlocked, type Promotion } from '../report/promotion.js'
import { cacheCheckOf, judgeFleet, type CacheCheck, type FleetVerdict } from '../report/verdict.js'
import { errorMessage } from '../util/errors.js'
import { gitHubApi } from '../action/github-api.js'
import { previousFleetOutcome, promoteRef, type Repository } from './github.js'
import { readLegRecords } from './leg-records.js'
import { postNotification as notifyDelivery } from './notify.js'

const ANNOTATED = 8

function repositoryOf(env: NodeJS.ProcessEnv): Repository {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '/').split('/')
  return { owner, repo }
}

/** Each host's closure and its imports' walked in the cache, what it counts present upstream included. */
async function verifyHosts(inputs: ReportInputs): Promise<Map<string, CacheCheck>> {
  const checks = new Map<string, CacheCheck>()
  const hosts = Object.entries(inputs.plan.toplevels)
  const unknown = (reason: string): Map<string, CacheCheck> =>
    new Map(hosts.map(([host]) => [host, { state: 'unknown', reason }]))
  const access = await openCacheAccess({
    baseUrl: inputs.cachixUrl,
    cacheName: inputs.cachix,
    authToken: inputs.cachixAuthToken
  })
  if (access.state === 'missing') throw new Error(access.reason)
  const client = readerOf(access)?.client
  if (client === undefined) return unknown(whyUnread(access))
  try {
    const imports = inputs.plan.imports ?? {}
    const walked = await walkTargets(
      client,
      hosts.map(([host, outPath]) => ({ outPath, imports: imports[host] }))
    )
    hosts.forEach(([host, toplevel], i) => {
      checks.set(host, cacheCheckOf(walked[i].walk, walked[i].imports))
      core.info(`${host}: ${describeWalk(toplevel, walked[i].walk)}`)
    })
    return checks
  } catch (error: unknown) {
    return unknown(errorMessage(error))
  }
}

async function promote(
  inputs: ReportInputs,
  verdict: FleetVerdict,
  repository: Repository
): Promise<Promotion | undefined> {
  const ref = inputs.promoteRef
  if (ref === undefined) return undefined
  const name = ref.replace(/^refs\/heads\//, '')
  if (!verdict.passed) return { action: 'none', ref: name, reason: 'not every host is verified in the cache' }
  const blocked = promotionBlocked({
    eventName: github.context.eventName,
    ref: process.env.GITHUB_REF ?? '',
    defaultBranch: (github.context.payload.repository as { default_branch?: string } | undefined)?.default_branch
  })
  if (blocked !== undefined) return { action: 'none', ref: name, reason: blocked }
  if (inputs.githubToken === undefined) throw new Error('promote-ref needs github-token (the default is the job token)')
  return promoteRef(gitHubApi(inputs.githubToken), repository, ref, process.env.GITHUB_SHA ?? '')
}

async function previous(inputs: ReportInputs, repository: Repository): Promise<PreviousOutcome> {
  if (inputs.githubToken === undefined) return undefined
  try {
    return await previousFleetOutcome(
      gitHubApi(inputs.githubToken),
      repository,
      Number(process.env.GITHUB_RUN_ID),
      Number(process.env.GITHUB_RUN_ATTEMPT ?? '1')
    )
  } catch (error: unknown) {
    core.warning(
      `could not tell how the previous run ended (${errorMessage(error)}), so a recovery is not announced: give the report job "permissions: actions: read"`
    )
    return undefined
  }
}

export async function run(): Promise<void> {
  try {
    const inputs = getReportInputs()
    const repository = repositoryOf(process.env)
    const dir = await mkdtemp(join(process.env.RUNNER_TEMP ?? tmpdir(), 'nix-cachix-report-'))
    const read = await core.group("Read the legs' records", async () => {
      const result = await readLegRecords(new DefaultArtifactClient(), dir)
      core.info(`${result.records.size} record${result.records.size === 1 ? '' : 's'} read`)
      for (const problem of result.problems) core.warning(problem)
      return result
    })
    const caches = await core.group(`Verify every host in ${inputs.cachix}`, () => verifyHosts(inputs))
    const verdict = judgeFleet(inputs.plan, read.records, caches, inputs.legsJob)
    // GitHub shows 10 error annotations a step: the rest are in the summary.
    for (const problem of verdict.problems.slice(0, ANNOTATED)) core.error(problem)
    if (verdict.problems.length > ANNOTATED)
      core.error(`…and ${verdict.problems.length - ANNOTATED} more problems: see the job summary`)
    let promotionFailure: string | undefined
    const promotion = await core.group('Promote', async () => {
      try {
        return await promote(inputs, verdict, repository)
      } catch (error: unknown) {
        promotionFailure = errorMessage(error)
        return undefined
      }
    })
    if (promotion !== undefined) core.info(JSON.stringify(promotion))
    await core.summary.addRaw(renderFleetSummary(verdict, { cache: inputs.cachix, promotion })).write()
    if (inputs.notifyUrl !== undefined) {
      const url = inputs.notifyUrl
      await core.group('Notify', async () => {
        const kind = notificationKind(
          verdict.passed,
          verdict.passed ? await previous(inputs, repository) : undefined,
          inputs.notify
        )
        if (kind === undefined) return core.info('nothing to notify: the fleet was and is fully cached')
        const run: RunFacts = {
          repository: process.env.GITHUB_REPOSITORY ?? '',
          refName: process.env.GITHUB_REF_NAME ?? '',
          sha: process.env.GITHUB_SHA ?? '',
          runUrl: `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}`,
          cache: inputs.cachix
        }
        const format = webhookFormat(url, inputs.notifyFormat)
        const delivery = await notifyDelivery(url.href, payloadFor(format, messageOf(kind, verdict, run), verdict, run))
        if (delivery.ok) core.info(`notified (${kind}, ${format})`)
        else core.warning(`the notification could not be delivered: ${delivery.problem}`)
      })
    }
    core.setOutput('passed', String(verdict.passed))
    core.setOutput('problems', JSON.stringify(verdict.problems))
    core.setOutput('promoted', promotion?.action === 'create' || promotion?.action === 'update' ? promotion.to : '')
    if (promotionFailure !== undefined) core.setFailed(promotionFailure)
    else if (!verdict.passed) core.setFailed(`the fleet is not fully cached: ${verdict.problems[0]}`)
  } catch (error: unknown) {
    core.setFailed(errorMessage(error))
  }
}
