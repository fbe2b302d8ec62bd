/**
 * When the report notifies: every run whose fleet is not fully cached, and the first run that is
 * again; a green run after a green one says nothing unless `notify: always`.
 */

export type NotifyMode = 'failures' | 'always'

/** failure: the fleet is not fully cached; recovered: it is again; passed: it is, and was (notify: always). */
export type NotificationKind = 'failure' | 'recovered' | 'passed'

/** How the previous run (or attempt) of this workflow on this branch ended, as far as it is known. */
export type PreviousOutcome = 'passed' | 'failed' | undefined

export function notificationKind(
  passed: boolean,
  previous: PreviousOutcome,
  mode: NotifyMode
): NotificationKind | undefined {
  if (!passed) return 'failure'
  if (previous === 'failed') return 'recovered'
  return mode === 'always' ? 'passed' : undefined
}

/** A workflow run as GitHub's REST API lists it (the fields used). */
export interface WorkflowRun {
  id: number
  run_number: number
  status: string | null
  conclusion: string | null
}

const FAILED = new Set(['failure', 'timed_out', 'startup_failure'])

/** What a finished run's conclusion says of its fleet; undefined for runs that decided nothing (cancelled, skipped). */
export function outcomeOf(conclusion: string | null): PreviousOutcome {
  if (conclusion === 'success') return 'passed'
  return conclusion !== null && FAILED.has(conclusion) ? 'failed' : undefined
}

/**
 * The outcome of the last run before `runNumber` that decided something: a newer push cancels
 * runs (concurrency), and those say nothing about the fleet, so they are passed over.
 */
export function previousOutcome(runs: WorkflowRun[], runNumber: number): PreviousOutcome {
  const earlier = runs
    .filter(r => r.run_number < runNumber && r.status === 'completed')
    .sort((a, b) => b.run_number - a.run_number)
  for (const run of earlier) {
    const outcome = outcomeOf(run.conclusion)
    if (outcome !== undefined) return outcome
  }
  return undefined
}
