/** Keys of what main hands to post through GITHUB_STATE. */
export enum State {
  WorkDir = 'work-dir',
  NixConf = 'nix-conf',
  /** 'true' once main has pushed everything it meant to. */
  Finished = 'finished',
  /** JSON [{id, system, outPath}] of the hosts main set out to build. */
  Hosts = 'hosts',
  Pushing = 'pushing',
  /** JSON [path] of what the remote builders' set-up wrote (their ssh key's directory, an ssh_config part). */
  BuilderFiles = 'builder-files'
}

/** The action's outputs (action.yml declares them). */
export enum Output {
  Hosts = 'hosts',
  Built = 'built',
  Substituted = 'substituted',
  Pushed = 'pushed',
  PushedBytes = 'pushed-bytes',
  SkippedHosts = 'skipped-hosts',
  FailedHosts = 'failed-hosts',
  Coverage = 'coverage',
  Status = 'status',
  Findings = 'findings',
  BuiltRemotely = 'built-remotely',
  /** The closure diff, as JSON. */
  Diff = 'diff'
}
