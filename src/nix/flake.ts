import { runNix } from './command.js'

export interface HostInfo {
  name: string
  system: string
  drvPath: string
  outPath: string
  substituters: string[]
  trustedPublicKeys: string[]
}

export function nixString(text: string): string {
  return JSON.stringify(text).replace(/\$\{/g, '\\${')
}

/** Nix function over nixosConfigurations: each host's build system, without building anything. */
export const SYSTEMS_EXPRESSION = 'cs: builtins.mapAttrs (n: c: c.config.system.build.toplevel.system) cs'

export function detailsExpression(hosts: string[]): string {
  const wanted = hosts.map(h => `${nixString(h)} = null;`).join(' ')
  return `cs: builtins.mapAttrs (n: c: let t = c.config.system.build.toplevel; s = c.config.nix.settings or {}; in {
    system = t.system; drv = t.drvPath; out = t.outPath;
    substituters = (s.substituters or []) ++ (s.extra-substituters or []);
    trustedPublicKeys = (s.trusted-public-keys or []) ++ (s.extra-trusted-public-keys or []);
  }) (builtins.intersectAttrs { ${wanted} } cs)`
}

async function evalJson(flake: string, attribute: string, apply: string, env: NodeJS.ProcessEnv, extraArgs: string[]): Promise<unknown> {
  const { stdout } = await runNix(['eval', '--json', `${flake}#${attribute}`, '--apply', apply, ...extraArgs], { env })
  return JSON.parse(stdout)
}

/**
 * SYSTEMS_EXPRESSION for a leg that names its hosts: every name is listed (attrNames forces no
 * configuration), but only the named hosts are evaluated, so a broken or costly other host is never touched.
 */
export function systemsExpression(only: string[]): string {
  if (only.length === 0) return SYSTEMS_EXPRESSION
  const wanted = only.map(h => `${nixString(h)} = null;`).join(' ')
  return `cs: builtins.mapAttrs (n: c: if { ${wanted} } ? \${n} then c.config.system.build.toplevel.system else null) cs`
}

/** Every host and its system, in one evaluation; with `only`, the other hosts' systems are null and never evaluated. */
export async function hostSystems(flake: string, env: NodeJS.ProcessEnv, extraArgs: string[] = [], only: string[] = []): Promise<Record<string, string | null>> {
  return (await evalJson(flake, 'nixosConfigurations', systemsExpression(only), env, extraArgs)) as Record<string, string | null>
}

export async function hostDetails(flake: string, hosts: string[], env: NodeJS.ProcessEnv, extraArgs: string[] = []): Promise<HostInfo[]> {
  if (hosts.length === 0) return []
  // Keys avoid outPath: Nix turns any attribute set with an outPath into that string in JSON.
  const raw = (await evalJson(flake, 'nixosConfigurations', detailsExpression(hosts), env, extraArgs)) as Record<string, { system: string; drv: string; out: string; substituters: string[]; trustedPublicKeys: string[] }>
  return hosts.map(name => {
    const { system, drv, out, substituters, trustedPublicKeys } = raw[name]
    return { name, system, drvPath: drv, outPath: out, substituters, trustedPublicKeys }
  })
}

export function toplevelInstallable(flake: string, host: string): string {
  return `${flake}#nixosConfigurations.${nixString(host)}.config.system.build.toplevel`
}

/** Output paths of extra attributes (e.g. pre-warm packages), evaluated in one call each. */
export async function attributeOutPath(flake: string, attribute: string, env: NodeJS.ProcessEnv, extraArgs: string[] = []): Promise<string> {
  const { stdout } = await runNix(['eval', '--raw', `${flake}#${attribute}.outPath`, ...extraArgs], { env })
  return stdout.trim()
}
