export type FindingLevel = 'error' | 'warning' | 'notice'

/** Something a run reports for a person to act on: an annotation, a line of the summary, an entry of `findings`. */
export interface Finding {
  level: FindingLevel
  message: string
  /**
   * A problem of the push alone (an outage, a rejected token): it may be an error to act on, but
   * the build is fine, so the status is problems rather than failed.
   */
  pushProblem?: boolean
  /** Already printed as an annotation when it happened, so the report does not print it twice. */
  announced?: boolean
}
