import { describe, expect, it } from '@jest/globals'
import { notificationKind, outcomeOf, previousOutcome, type WorkflowRun } from '../../../src/report/notify-when.js'

const run = (run_number: number, conclusion: string | null, status = 'completed'): WorkflowRun => ({
  id: 1000 + run_number,
  run_number,
  status,
  conclusion
})

describe('notificationKind: not fully cached, once on recovery, nothing on green after green', () => {
  it.each([
    [false, undefined, 'failures', 'failure'],
    [false, 'failed', 'failures', 'failure'],
    [false, 'passed', 'failures', 'failure'],
    [true, 'failed', 'failures', 'recovered'],
    [true, 'passed', 'failures', undefined],
    [true, undefined, 'failures', undefined],
    [true, 'passed', 'always', 'passed'],
    [true, undefined, 'always', 'passed'],
    [true, 'failed', 'always', 'recovered']
  ] as const)('passed %s after %s with notify %s: %s', (passed, previous, mode, kind) => {
    expect(notificationKind(passed, previous, mode)).toBe(kind)
  })
})

describe('previousOutcome: the last run before this one that decided something', () => {
  it('skips runs a newer push cancelled, and runs still going', () => {
    expect(
      previousOutcome([run(7, 'failure'), run(8, 'cancelled'), run(9, null, 'in_progress'), run(10, 'success')], 10)
    ).toBe('failed')
  })

  it('ignores later runs and takes the newest earlier one, whatever the order given', () => {
    expect(previousOutcome([run(3, 'failure'), run(5, 'success'), run(12, 'failure')], 10)).toBe('passed')
  })

  it('knows nothing without an earlier decided run', () => {
    expect(previousOutcome([], 1)).toBeUndefined()
    expect(previousOutcome([run(2, 'skipped'), run(3, 'cancelled')], 4)).toBeUndefined()
  })

  it.each([
    ['success', 'passed'],
    ['failure', 'failed'],
    ['timed_out', 'failed'],
    ['startup_failure', 'failed'],
    ['cancelled', undefined],
    ['skipped', undefined],
    ['neutral', undefined],
    [null, undefined]
  ] as const)('a run that ended %s is %s', (conclusion, outcome) => {
    expect(outcomeOf(conclusion)).toBe(outcome)
  })
})
