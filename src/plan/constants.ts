/** The planner's outputs (plan/action.yml declares them). */
export enum PlanOutput {
  Matrix = 'matrix',
  Hosts = 'hosts',
  Attributes = 'attributes',
  Any = 'any',
  CachedHosts = 'cached-hosts',
  CachedAttributes = 'cached-attributes',
  EvalFailed = 'eval-failed',
  Findings = 'findings',
  /** What a build job on the head passes to diff-base, so the base is evaluated once, here. */
  Toplevels = 'toplevels'
}
