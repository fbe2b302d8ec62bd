import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * The files of a job's private directory, named here only: main, post and the CLI must agree on
 * them (a post step looking for another name would salvage nothing).
 */
export interface WorkFiles {
  dir: string
  /** What the post-build hook appends each build to. */
  spool: string
  /** The post-build hook script. */
  hook: string
  /** The 0600 nix.conf include with the access tokens and the netrc-file setting. */
  secrets: string
  /** The 0600 netrc with private caches' tokens. */
  netrc: string
}

export function workFiles(dir: string): WorkFiles {
  return {
    dir,
    spool: join(dir, 'built.spool'),
    hook: join(dir, 'post-build-hook.sh'),
    secrets: join(dir, 'secrets.conf'),
    netrc: join(dir, 'netrc')
  }
}

/** What holds a token (netrc, secrets.conf) or says what was built (the spool): deleted first. */
export function secretWorkFiles(work: WorkFiles): string[] {
  return [work.netrc, work.secrets, work.spool]
}

/** The action's work directory under RUNNER_TEMP, created, with the empty spool the hook appends to. */
export async function prepareWorkDir(env: NodeJS.ProcessEnv): Promise<WorkFiles> {
  const files = workFiles(join(env.RUNNER_TEMP ?? tmpdir(), 'nix-cachix-build'))
  await mkdir(files.dir, { recursive: true, mode: 0o700 })
  // The daemon runs the hook as root; the runner user must be able to read what it appends.
  await chmod(files.dir, 0o755)
  await writeFile(files.spool, '', { mode: 0o644 })
  return files
}
