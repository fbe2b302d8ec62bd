/** The flake's `checks` output: which systems have checks, and their names. Evaluates no check. */
import { evalFlakeOutput } from './flake.js'

function evalChecks(flake: string, apply: string, env: NodeJS.ProcessEnv, extraArgs: string[]): Promise<unknown> {
  return evalFlakeOutput(flake, 'checks', apply, env, extraArgs)
}

/** The systems whose checks.<system> holds at least one check; none when the flake has no checks. */
export async function checkSystems(flake: string, env: NodeJS.ProcessEnv, extraArgs: string[] = []): Promise<string[]> {
  const systems = await evalChecks(
    flake,
    'checks: builtins.filter (system: checks.${system} != { }) (builtins.attrNames checks)',
    env,
    extraArgs
  )
  return ((systems as string[] | undefined) ?? []).sort()
}

/** The names of checks.<system> (empty when the flake has none for it). */
export async function checkNames(
  flake: string,
  system: string,
  env: NodeJS.ProcessEnv,
  extraArgs: string[] = []
): Promise<string[]> {
  const names = await evalChecks(
    flake,
    `checks: builtins.attrNames (checks.${JSON.stringify(system)} or { })`,
    env,
    extraArgs
  )
  return ((names as string[] | undefined) ?? []).sort()
}
