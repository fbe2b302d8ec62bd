import { FAILED_LOG_LINES, type FailedBuild } from '../nix-build/build-failures.js'
import type { Finding } from './finding.js'

export function failedBuildFinding(build: FailedBuild): Finding {
  const last = build.logTail[build.logTail.length - 1]
  return {
    level: 'error',
    message: `derivation ${build.name} failed to build (${build.drvPath})${last ? `: ${last}` : ''}; the job summary has the last ${FAILED_LOG_LINES} lines of its log`
  }
}

/** The job summary's section with each failed derivation's name and the end of its log. */
export function renderFailedBuilds(builds: FailedBuild[]): string {
  if (builds.length === 0) return ''
  const lines = ['### Why the build failed', '']
  for (const build of builds) {
    // A fence longer than any run of backticks in the log, so the log cannot close it.
    const longest = Math.max(2, ...build.logTail.map(l => Math.max(0, ...(l.match(/`+/g) ?? []).map(m => m.length))))
    const fence = '`'.repeat(longest + 1)
    const count = build.logTail.length === 1 ? 'last line' : `last ${build.logTail.length} lines`
    lines.push(
      `<details open><summary><code>${build.name}</code>: ${count} of <code>nix log ${build.drvPath}</code></summary>`,
      '',
      fence,
      ...(build.logTail.length > 0 ? build.logTail : ['(no log kept)']),
      fence,
      '',
      '</details>',
      ''
    )
  }
  return lines.join('\n')
}
