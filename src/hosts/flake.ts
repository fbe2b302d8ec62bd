import { runNix } from '../nix/command.js'
import { errorExcerpt } from './eval-error.js'
import { attributeImports, evalWithLog } from './eval-imports.js'
import {
  attributePath,
  byKind,
  detailsExpression,
  isMissingOutput,
  KINDS,
  kindSpec,
  allHosts,
  noConfigurations,
  systemsExpression,
  type ConfigurationKind,
  type ConfigurationNames,
  type Host
} from './configurations.js'

/** A host as evaluated: its system, derivation, output and the caches its nix.settings declare. */
export interface HostInfo extends Host {
  system: string
  drvPath: string
  outPath: string
  substituters: string[]
  trustedPublicKeys: string[]
  /** What its evaluation read from derivation outputs: a machine that evaluates it needs their closures. */
  imports: string[]
  /** Why its imports could not all be listed, when they could not. */
  importsUnknown?: string
}

/** `apply` over the flake's `output`, as JSON; undefined when the flake has no such output. */
export async function evalFlakeOutput(
  flake: string,
  output: string,
  apply: string,
  env: NodeJS.ProcessEnv,
  extraArgs: string[]
): Promise<unknown> {
  const result = await runNix(['eval', '--json', `${flake}#${output}`, '--apply', apply, ...extraArgs], {
    env,
    okCodes: [1]
  })
  if (result.code === 0) return JSON.parse(result.stdout)
  if (isMissingOutput(result.stderr, output)) return undefined
  throw new Error(`could not evaluate ${flake}#${output}: ${errorExcerpt(result.stderr)}`)
}

/**
 * `apply` (per kind) over each kind's output, one `nix eval` per kind. A flake without
 * darwinConfigurations or homeConfigurations has none of them (undefined); one with none of the
 * three outputs is a mistake.
 */
async function eachKind(
  flake: string,
  apply: (kind: ConfigurationKind) => string,
  env: NodeJS.ProcessEnv,
  extraArgs: string[]
): Promise<Partial<Record<ConfigurationKind, unknown>>> {
  const found: Partial<Record<ConfigurationKind, unknown>> = {}
  const evaluate = async (spec: (typeof KINDS)[number]): Promise<void> => {
    const value = await evalFlakeOutput(flake, spec.output, apply(spec.kind), env, extraArgs)
    if (value !== undefined) found[spec.kind] = value
  }
  // The first alone: on a store nothing has opened yet (a laptop's own store), concurrent
  // evaluations race to create its database and Nix 2.34 fails one of them with "is busy".
  // It also copies the flake into the store once, for the others to reuse.
  const [first, ...rest] = KINDS
  await evaluate(first)
  await Promise.all(rest.map(evaluate))
  if (Object.keys(found).length === 0)
    throw new Error(
      `${flake} has no nixosConfigurations, darwinConfigurations or homeConfigurations: point flake at the flake that defines the machines`
    )
  return found
}

/** The configuration names of each kind; attrNames evaluates no configuration. */
export async function configurationNames(
  flake: string,
  env: NodeJS.ProcessEnv,
  extraArgs: string[] = []
): Promise<ConfigurationNames> {
  const found = await eachKind(flake, () => 'builtins.attrNames', env, extraArgs)
  const names = noConfigurations()
  for (const spec of KINDS) names[spec.kind] = ((found[spec.kind] as string[] | undefined) ?? []).sort()
  return names
}

/** Every host of every kind and its system, names and systems from the same evaluation (one per kind). */
export async function allHostSystems(
  flake: string,
  env: NodeJS.ProcessEnv,
  extraArgs: string[] = []
): Promise<{ names: ConfigurationNames; systems: Record<string, string> }> {
  const found = await eachKind(flake, kind => systemsExpression(kind), env, extraArgs)
  const names = noConfigurations()
  for (const spec of KINDS)
    names[spec.kind] = Object.keys((found[spec.kind] as Record<string, string> | undefined) ?? {}).sort()
  const systems: Record<string, string> = {}
  for (const host of allHosts(names)) systems[host.id] = (found[host.kind] as Record<string, string>)[host.attribute]
  return { names, systems }
}

/**
 * Each host's system, derivation, output and caches, one `nix eval` per kind, and what each
 * host's evaluation imports (import from derivation, valid already or not): the log of that same
 * evaluation tells which hosts import anything, so a host without imports costs nothing more.
 */
export async function hostDetails(flake: string, hosts: Host[], env: NodeJS.ProcessEnv): Promise<HostInfo[]> {
  const found = new Map<string, HostInfo>()
  await Promise.all(
    byKind(hosts).map(async ([kind, group]) => {
      const output = kindSpec(kind).output
      const apply = detailsExpression(
        kind,
        group.map(h => h.attribute)
      )
      const { code, stdout, log } = await evalWithLog(['eval', '--json', `${flake}#${output}`, '--apply', apply], env)
      if (code !== 0) throw new Error(`could not evaluate ${flake}#${output}: ${errorExcerpt(log.text)}`)
      const raw = JSON.parse(stdout) as Record<
        string,
        { system: string; drv: string; out: string; substituters: string[]; trustedPublicKeys: string[] }
      >
      for (const host of group) {
        const { system, drv, out, substituters, trustedPublicKeys } = raw[host.attribute]
        const part = log.parts.get(host.attribute)
        // Without its mark (it cannot be missing, but if it were) the whole evaluation's imports are the host's.
        const imports = await attributeImports(flake, attributePath(host), part ?? log, env)
        found.set(host.id, {
          id: host.id,
          kind,
          attribute: host.attribute,
          system,
          drvPath: drv,
          outPath: out,
          substituters,
          trustedPublicKeys,
          imports: imports.paths,
          importsUnknown: imports.error
        })
      }
    })
  )
  return hosts.map(h => found.get(h.id)).filter((h): h is HostInfo => h !== undefined)
}

/** Output paths of extra attributes (e.g. pre-warm packages), evaluated in one call each. */
export async function attributeOutPath(
  flake: string,
  attribute: string,
  env: NodeJS.ProcessEnv,
  extraArgs: string[] = []
): Promise<string> {
  const { stdout } = await runNix(['eval', '--raw', `${flake}#${attribute}.outPath`, ...extraArgs], { env })
  return stdout.trim()
}
