/** The planner's outputs (plan/action.yml declares them). */
export enum PlanOutput {
  Matrix = 'matrix',
  /** The matrix without the pre-warm rows. */
  BuildMatrix = 'build-matrix',
  /** Only the pre-warm rows. */
  PrewarmMatrix = 'prewarm-matrix',
  BuildAny = 'build-any',
  PrewarmAny = 'prewarm-any',
  Hosts = 'hosts',
  Attributes = 'attributes',
  Any = 'any',
  CachedHosts = 'cached-hosts',
  CachedAttributes = 'cached-attributes',
  EvalFailed = 'eval-failed',
  Findings = 'findings',
  /** What a build job on the head passes to diff-base, so the base is evaluated once, here. */
  Toplevels = 'toplevels',
  /** What each host's evaluation imports: the report walks them with the toplevels. */
  Imports = 'imports',
  /** Each evaluated host's system, cached or not: the report's system column for a host that had no leg. */
  Systems = 'systems'
}
