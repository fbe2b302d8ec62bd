import { errorExcerpt } from '../plan/eval-logic.js'
import { run } from '../util/process.js'
import {
  byKind,
  detailsExpression as kindDetailsExpression,
  installable,
  isMissingOutput,
  KINDS,
  kindSpec,
  noConfigurations,
  systemsExpression as kindSystemsExpression,
  type ConfigurationKind,
  type ConfigurationNames,
  type ConfigurationRef,
  type Host
} from '../nix/configurations.js'

export { nixString } from '../nix/configurations.js'

const NIX_FLAKES = ['--extra-experimental-features', 'nix-command flakes']

export interface HostInfo {
  /** What outputs and the summary call the host (see hostId). */
  name: string
  kind: ConfigurationKind
  /** Its attribute name under the kind's output. */
  attribute: string
  system: string
  drvPath: string
  outPath: string
  substituters: string[]
  trustedPublicKeys: string[]
}

/** Nix function over nixosConfigurations: each host's build system, without building anything. */
export const SYSTEMS_EXPRESSION = kindSystemsExpression('nixos')

export function detailsExpression(hosts: string[]): string {
  return kindDetailsExpression('nixos', hosts)
}

async function evalJson(flake: string, attribute: string, apply: string, env: NodeJS.ProcessEnv, extraArgs: string[]): Promise<unknown> {
  const { stdout } = await run('nix', [...NIX_FLAKES, 'eval', '--json', `${flake}#${attribute}`, '--apply', apply, ...extraArgs], { env })
  return JSON.parse(stdout)
}

/**
 * SYSTEMS_EXPRESSION for a leg that names its hosts: every name is listed (attrNames forces no
 * configuration), but only the named hosts are evaluated, so a broken or costly other host is never touched.
 */
export function systemsExpression(only: string[]): string {
  return kindSystemsExpression('nixos', only)
}

/**
 * The configuration names of each kind, one `nix eval` per kind at once; attrNames evaluates
 * no configuration. A flake without darwinConfigurations or homeConfigurations has none of them.
 */
export async function configurationNames(flake: string, env: NodeJS.ProcessEnv, extraArgs: string[] = []): Promise<ConfigurationNames> {
  const names = noConfigurations()
  const missing = await Promise.all(
    KINDS.map(async spec => {
      const result = await run('nix', [...NIX_FLAKES, 'eval', '--json', `${flake}#${spec.output}`, '--apply', 'builtins.attrNames', ...extraArgs], { env, okCodes: [1] })
      if (result.code === 0) names[spec.kind] = (JSON.parse(result.stdout) as string[]).sort()
      else if (!isMissingOutput(result.stderr, spec.output)) throw new Error(`could not evaluate ${flake}#${spec.output}: ${errorExcerpt(result.stderr)}`)
      return result.code !== 0
    })
  )
  // A flake of home-manager machines only has no nixosConfigurations; one with none of the three is a mistake.
  if (missing.every(m => m)) throw new Error(`${flake} has no nixosConfigurations, darwinConfigurations or homeConfigurations: point flake at the flake that defines the machines`)
  return names
}

/** Every host of every kind and its system; hosts outside `only` (when given) are null and never evaluated. */
export async function hostSystems(flake: string, hosts: Host[], env: NodeJS.ProcessEnv, extraArgs: string[] = [], only?: Host[]): Promise<Record<string, string | null>> {
  const systems: Record<string, string | null> = Object.fromEntries(hosts.map(h => [h.id, null]))
  await Promise.all(
    byKind(hosts).map(async ([kind, group]) => {
      const wanted = only === undefined ? [] : only.filter(h => h.kind === kind).map(h => h.name)
      if (only !== undefined && wanted.length === 0) return
      const raw = (await evalJson(flake, kindSpec(kind).output, kindSystemsExpression(kind, wanted), env, extraArgs)) as Record<string, string | null>
      for (const host of group) systems[host.id] = raw[host.name] ?? null
    })
  )
  return systems
}

export async function hostDetails(flake: string, hosts: Host[], env: NodeJS.ProcessEnv, extraArgs: string[] = []): Promise<HostInfo[]> {
  const found = new Map<string, HostInfo>()
  await Promise.all(
    byKind(hosts).map(async ([kind, group]) => {
      const raw = (await evalJson(
        flake,
        kindSpec(kind).output,
        kindDetailsExpression(
          kind,
          group.map(h => h.name)
        ),
        env,
        extraArgs
      )) as Record<string, { system: string; drv: string; out: string; substituters: string[]; trustedPublicKeys: string[] }>
      for (const host of group) {
        const { system, drv, out, substituters, trustedPublicKeys } = raw[host.name]
        found.set(host.id, { name: host.id, kind, attribute: host.name, system, drvPath: drv, outPath: out, substituters, trustedPublicKeys })
      }
    })
  )
  return hosts.map(h => found.get(h.id)).filter((h): h is HostInfo => h !== undefined)
}

export function toplevelInstallable(flake: string, host: ConfigurationRef): string {
  return installable(flake, host)
}

/** Output paths of extra attributes (e.g. pre-warm packages), evaluated in one call each. */
export async function attributeOutPath(flake: string, attribute: string, env: NodeJS.ProcessEnv, extraArgs: string[] = []): Promise<string> {
  const { stdout } = await run('nix', [...NIX_FLAKES, 'eval', '--raw', `${flake}#${attribute}.outPath`, ...extraArgs], { env })
  return stdout.trim()
}
