/**
 * The three kinds of machine a flake can describe, and how a host name resolves across them.
 * Pure: the evaluation that lists and reads configurations lives in flake.ts.
 */
import { markEvaluation } from '../nix/eval-log.js'

export type ConfigurationKind = 'nixos' | 'darwin' | 'home'

export interface KindSpec {
  kind: ConfigurationKind
  /** The flake output holding the configurations. */
  output: string
  /** From one configuration to the derivation a machine switches to. */
  buildPath: string
  /** What that derivation is called in messages. */
  closureName: string
  /** The tool that manages such a machine, for messages. */
  label: string
}

// The order a plain name is looked up in, and the order the kinds are listed in messages.
export const KINDS: readonly KindSpec[] = [
  {
    kind: 'nixos',
    output: 'nixosConfigurations',
    buildPath: 'config.system.build.toplevel',
    closureName: 'toplevel',
    label: 'NixOS'
  },
  { kind: 'darwin', output: 'darwinConfigurations', buildPath: 'system', closureName: 'system', label: 'nix-darwin' },
  {
    kind: 'home',
    output: 'homeConfigurations',
    buildPath: 'activationPackage',
    closureName: 'activation package',
    label: 'home-manager'
  }
]

export function kindSpec(kind: ConfigurationKind): KindSpec {
  const spec = KINDS.find(k => k.kind === kind)
  if (spec === undefined) throw new Error(`unknown configuration kind ${String(kind)}`)
  return spec
}

/** A configuration of the flake: its kind and its attribute name under the kind's output. */
export interface ConfigurationRef {
  kind: ConfigurationKind
  attribute: string
}

/** A configuration and its id: what outputs, the matrix and summaries call it (see hostId). */
export interface Host extends ConfigurationRef {
  id: string
}

/** What a user writes for a host: a name, or kind:name to say which output it is in. */
export interface HostReference {
  kind?: ConfigurationKind
  attribute: string
}

/** The attribute names of each kind's output; a kind the flake does not have is empty. */
export type ConfigurationNames = Record<ConfigurationKind, string[]>

export function noConfigurations(): ConfigurationNames {
  return { nixos: [], darwin: [], home: [] }
}

function nixString(text: string): string {
  return JSON.stringify(text).replace(/\$\{/g, '\\${')
}

// Nix attribute names as a host list has them: identifiers with - ' _, and the @ and . that
// home-manager's user@host names use. Commas and blanks separate the list, so never in a name.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_'@.+-]*$/
const PREFIX = /^([A-Za-z]+):(.*)$/

/** Parses `name` or `kind:name`; the error says what is wrong with it. */
export function parseHostReference(text: string): HostReference {
  const prefixed = PREFIX.exec(text)
  if (prefixed) {
    const kind = KINDS.find(k => k.kind === prefixed[1])?.kind
    if (kind === undefined)
      throw new Error(
        `"${text}" has the prefix ${prefixed[1]}:, which is none of ${KINDS.map(k => `${k.kind}:`).join(', ')}`
      )
    if (!NAME.test(prefixed[2]))
      throw new Error(`"${text}" is not ${kind}:NAME with NAME an attribute name of ${kindSpec(kind).output}`)
    return { kind, attribute: prefixed[2] }
  }
  if (!NAME.test(text))
    throw new Error(
      `"${text}" is not a host name (a configuration's attribute name, optionally prefixed with nixos:, darwin: or home:)`
    )
  return { attribute: text }
}

function kindsHaving(names: ConfigurationNames, name: string): ConfigurationKind[] {
  return KINDS.filter(k => names[k.kind].includes(name)).map(k => k.kind)
}

/**
 * What outputs call a configuration: its plain name when no other kind has that name, else
 * kind:name. Either way it is a reference that resolves back to the same configuration.
 */
export function hostId(ref: ConfigurationRef, names: ConfigurationNames): string {
  return kindsHaving(names, ref.attribute).length > 1 ? `${ref.kind}:${ref.attribute}` : ref.attribute
}

/** Every configuration of every kind, ordered by id. */
export function allHosts(names: ConfigurationNames): Host[] {
  return KINDS.flatMap(k =>
    names[k.kind].map(attribute => ({ kind: k.kind, attribute, id: hostId({ kind: k.kind, attribute }, names) }))
  ).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

function everything(names: ConfigurationNames): string {
  const all = KINDS.flatMap(k => names[k.kind].map(name => `${k.kind}:${name}`))
  return all.length === 0 ? 'no nixosConfigurations, darwinConfigurations or homeConfigurations' : all.join(', ')
}

/**
 * The configuration `reference` names. A plain name must be in exactly one kind's output;
 * kind:name looks in that kind only. The error is one line naming the candidates.
 */
export function resolveHost(reference: string, names: ConfigurationNames): Host {
  const ref = parseHostReference(reference)
  if (ref.kind !== undefined) {
    if (!names[ref.kind].includes(ref.attribute))
      throw new Error(
        `host ${reference} not found: ${kindSpec(ref.kind).output} has no ${ref.attribute} (the flake has: ${everything(names)})`
      )
    return { kind: ref.kind, attribute: ref.attribute, id: hostId({ kind: ref.kind, attribute: ref.attribute }, names) }
  }
  const kinds = kindsHaving(names, ref.attribute)
  if (kinds.length === 0) throw new Error(`host ${reference} not found (the flake has: ${everything(names)})`)
  if (kinds.length > 1)
    throw new Error(
      `host ${reference} is ambiguous: it is ${kinds.map(k => `${k}:${ref.attribute}`).join(' and ')}; write one of those`
    )
  return { kind: kinds[0], attribute: ref.attribute, id: ref.attribute }
}

/** Each reference resolved, the first of two that name the same configuration kept; throws on the first bad one. */
export function resolveHosts(references: string[], names: ConfigurationNames): Host[] {
  const hosts: Host[] = []
  for (const reference of references) {
    const host = resolveHost(reference, names)
    if (!hosts.some(h => h.id === host.id)) hosts.push(host)
  }
  return hosts
}

/** Like resolveHost, but undefined where that would throw: a base revision may lack a host or name it twice. */
export function findHost(reference: string, names: ConfigurationNames): Host | undefined {
  try {
    return resolveHost(reference, names)
  } catch {
    return undefined
  }
}

/** The flake attribute path of what the machine switches to. */
export function attributePath(ref: ConfigurationRef): string {
  const spec = kindSpec(ref.kind)
  return `${spec.output}.${nixString(ref.attribute)}.${spec.buildPath}`
}

export function installable(flake: string, ref: ConfigurationRef): string {
  return `${flake}#${attributePath(ref)}`
}

/**
 * Nix functions over one kind's output (the configurations by name). Each reads the derivation
 * at the kind's build path; its `system` attribute is what the builder must run, so it picks the runner.
 */
function derivationOf(kind: ConfigurationKind, c: string): string {
  return `${c}.${kindSpec(kind).buildPath}`
}

function only(names: string[]): string {
  return `{ ${names.map(n => `${nixString(n)} = null;`).join(' ')} }`
}

/** Every configuration's system; with `wanted`, the others are null and never evaluated. */
export function systemsExpression(kind: ConfigurationKind, wanted: string[] = []): string {
  if (wanted.length === 0) return `cs: builtins.mapAttrs (n: c: ${derivationOf(kind, 'c')}.system) cs`
  return `cs: builtins.mapAttrs (n: c: if ${only(wanted)} ? \${n} then ${derivationOf(kind, 'c')}.system else null) cs`
}

/**
 * System, derivation, output and nix.settings caches of the named configurations. All three
 * kinds have nix.settings (home-manager's writes the user's nix.conf); a configuration without
 * it declares no caches. Each configuration's part of the log is marked with its name (markEvaluation),
 * so that its imports are told apart from the others'. Keys avoid outPath: Nix turns any set with an outPath into that string in JSON.
 */
export function detailsExpression(kind: ConfigurationKind, names: string[]): string {
  const details = `let t = ${derivationOf(kind, 'c')}; s = c.config.nix.settings or {}; in {
    system = t.system; drv = t.drvPath; out = t.outPath;
    substituters = (s.substituters or []) ++ (s.extra-substituters or []);
    trustedPublicKeys = (s.trusted-public-keys or []) ++ (s.extra-trusted-public-keys or []);
  }`
  return `cs: builtins.mapAttrs (n: c: ${markEvaluation('n', details)}) (builtins.intersectAttrs ${only(names)} cs)`
}

/** The output paths of the named configurations, for a closure diff's base. */
export function outPathsExpression(kind: ConfigurationKind, names: string[]): string {
  return `cs: builtins.mapAttrs (n: c: { out = ${derivationOf(kind, 'c')}.outPath; }) (builtins.intersectAttrs ${only(names)} cs)`
}

/**
 * True when a failed `nix eval` of `output` failed because the flake has no such output, which
 * for darwinConfigurations and homeConfigurations just means the flake has none of that kind.
 */
export function isMissingOutput(stderr: string, output: string): boolean {
  return new RegExp(`does not provide attribute [^\\n]*'${output}'`).test(stderr)
}

/** Groups configurations by kind, keeping their order. */
export function byKind<T extends ConfigurationRef>(refs: T[]): [ConfigurationKind, T[]][] {
  return KINDS.map(k => [k.kind, refs.filter(r => r.kind === k.kind)] as [ConfigurationKind, T[]]).filter(
    ([, group]) => group.length > 0
  )
}
