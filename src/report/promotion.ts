/**
 * The branch laptops follow (`promote-ref`, e.g. `cached`) only ever points at a commit whose
 * every host was verified in the cache. It moves forward only: to a descendant of where it is,
 * never back (a re-run of an older commit) and never sideways (a rewritten history).
 */

/** What GitHub's compare API says of `base...head` (base being where the branch is now). */
export type CompareStatus = 'ahead' | 'behind' | 'identical' | 'diverged'

export type Promotion =
  | { action: 'create'; ref: string; to: string }
  | { action: 'update'; ref: string; from: string; to: string }
  | { action: 'none'; ref: string; reason: string }

/** Where the followed branch points now, or undefined when it does not exist yet. */
export function promotionOf(
  ref: string,
  current: string | undefined,
  head: string,
  compare: CompareStatus | undefined
): Promotion {
  if (current === undefined) return { action: 'create', ref, to: head }
  if (current === head || compare === 'identical')
    return { action: 'none', ref, reason: 'it already points at this commit' }
  if (compare === 'ahead') return { action: 'update', ref, from: current, to: head }
  if (compare === 'behind')
    return {
      action: 'none',
      ref,
      reason: `it points at ${current.slice(0, 12)}, newer than this commit; it never moves back`
    }
  return {
    action: 'none',
    ref,
    reason: `it points at ${current.slice(0, 12)}, which is not an ancestor of this commit (history rewritten?); it moves by fast-forward only, so reset it by hand`
  }
}

/** What the run is, as far as promotion cares (GITHUB_EVENT_NAME, GITHUB_REF, the event's repository.default_branch). */
export interface RunContext {
  eventName: string
  ref: string
  defaultBranch?: string
}

/** Events whose commit is on the branch itself, not a proposal for it. */
const PROMOTING_EVENTS = new Set(['push', 'workflow_dispatch', 'schedule'])

/**
 * Why this run may not move the branch, or undefined when it may: only a run of a commit already
 * on the default branch, so a pull request (whose merge commit descends from it too) never does.
 */
export function promotionBlocked(run: RunContext): string | undefined {
  if (!PROMOTING_EVENTS.has(run.eventName))
    return `a ${run.eventName} run never moves it (only push, workflow_dispatch and schedule runs of the default branch do)`
  if (run.defaultBranch === undefined) return 'the event does not name the default branch'
  if (run.ref !== `refs/heads/${run.defaultBranch}`)
    return `this run is of ${run.ref}, not of the default branch ${run.defaultBranch}`
  return undefined
}

/** The ref name as the git refs API takes it: `heads/cached` for the branch `cached`. */
export function refPath(ref: string): string {
  if (ref.startsWith('refs/')) return ref.slice('refs/'.length)
  return `heads/${ref}`
}
