import type * as ChildProcessModule from 'node:child_process'
import { createRequire, syncBuiltinESMExports } from 'node:module'

/**
 * Counts, by program name, every process this process starts from now on, so a report can
 * say whether zstd ran as a process and how many nix calls a push made. Named imports of
 * node:child_process are live bindings: patching the CommonJS object and syncing updates
 * them in every module.
 */
export function countSpawns(): Record<string, number> {
  const childProcess = createRequire(import.meta.url)('node:child_process') as typeof ChildProcessModule
  const spawned: Record<string, number> = {}
  const originalSpawn = childProcess.spawn
  childProcess.spawn = ((command: string, ...rest: unknown[]) => {
    const name = command.split('/').pop() ?? command
    spawned[name] = (spawned[name] ?? 0) + 1
    return (originalSpawn as (...args: unknown[]) => unknown)(command, ...rest)
  }) as typeof childProcess.spawn
  syncBuiltinESMExports()
  return spawned
}
