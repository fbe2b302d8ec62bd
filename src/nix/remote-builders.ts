/**
 * Nix's remote builders (the `builders` setting), one machine per line as the workflow writes
 * them: parsed, checked and rendered back the way Nix 2.8 to 2.35 read them. The fields:
 *   1 store URI (ssh:// or ssh-ng://)   2 systems            3 ssh identity file
 *   4 max jobs                          5 speed factor       6 supported features
 *   7 mandatory features                8 base64 of the host's public key
 * "-" (or nothing, at the end) leaves a field at Nix's default.
 */

export type BuilderScheme = 'ssh' | 'ssh-ng'

export interface BuilderUri {
  scheme: BuilderScheme
  user?: string
  host: string
  port?: number
  /** The URI's own query parameters (remote-program, remote-store, compress, …), in order. */
  params: [string, string][]
}

export interface Builder {
  /** Its line in the input, for messages. */
  line: number
  uri: BuilderUri
  /** Empty: the local machine's system (Nix's default). */
  systems: string[]
  /** Field 3 as written; absent when "-" (the action's builder-ssh-key then fills it). */
  identityFile?: string
  maxJobs?: number
  speedFactor?: number
  supportedFeatures: string[]
  mandatoryFeatures: string[]
  /** Field 8 as written: base64 of "type key". */
  hostKey?: string
}

/** One line of known_hosts text: the host patterns and one public key. */
export interface HostKey {
  line: number
  hosts: string[]
  type: string
  key: string
}

const FIELDS = 'URI systems ssh-key max-jobs speed-factor supported-features mandatory-features host-key'
const SYSTEM = /^[A-Za-z0-9_]+-[A-Za-z0-9_]+$/
const FEATURE = /^[A-Za-z0-9_.+-]+$/
const AUTHORITY = /^(?:([^@/?#\s[\]:]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d+))?$/
// What Nix reads from fields 3 and 8 must not come in through the URI as well.
const PARAMS_OF_FIELDS: Record<string, string> = {
  'ssh-key': 'field 3 (or builder-ssh-key)',
  'base64-ssh-public-host-key': 'field 8 (or builder-host-keys)'
}
// The key types ssh prefers when a host has several: one is pinned per builder (field 8 holds one).
const KEY_PREFERENCE = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa']

export class BuilderSpecError extends Error {}

function fail(message: string): never {
  throw new BuilderSpecError(message)
}

/** "line N (ssh-ng://…)" for messages about a line of the builders input. */
function at(line: number, text: string): string {
  return `line ${line} (${text.length > 60 ? `${text.slice(0, 57)}…` : text})`
}

function isSet(field: string | undefined): field is string {
  return field !== undefined && field !== '' && field !== '-'
}

function list(field: string | undefined, pattern: RegExp, what: string, where: string): string[] {
  if (!isSet(field)) return []
  const items = field.split(',')
  for (const item of items) if (!pattern.test(item)) fail(`${where}: "${item}" is not ${what}`)
  return items
}

function count(field: string | undefined, what: string, where: string): number | undefined {
  if (!isSet(field)) return undefined
  if (!/^\d+$/.test(field) || Number(field) === 0) fail(`${where}: ${what} "${field}" is not a positive whole number`)
  return Number(field)
}

/** The key type a public key blob names in its first field (the SSH wire format), if it is one. */
function blobKeyType(base64: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined
  const blob = Buffer.from(base64, 'base64')
  if (blob.length < 4) return undefined
  const length = blob.readUInt32BE(0)
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined
  return blob.subarray(4, 4 + length).toString('latin1')
}

/** A public key as "type base64", checked: the blob must name the same type. */
function publicKey(type: string, key: string): boolean {
  return /^[a-z0-9@.-]+$/.test(type) && blobKeyType(key) === type
}

function parseUri(text: string, where: string): BuilderUri {
  if (text.startsWith('@'))
    fail(`${where} refers to a machines file; list the builders in this input instead, one per line`)
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(text)?.[1]
  if (scheme === undefined)
    fail(`${where}: "${text}" has no scheme: write ssh-ng://${text} (or ssh:// for Nix's older serve protocol)`)
  if (scheme !== 'ssh' && scheme !== 'ssh-ng')
    fail(`${where}: a builder is reached with ssh:// or ssh-ng://, not ${scheme}://`)
  const rest = text.slice(scheme.length + 3)
  const query = rest.indexOf('?')
  const authority = query < 0 ? rest : rest.slice(0, query)
  const match = AUTHORITY.exec(authority)
  if (!match) fail(`${where}: "${authority}" is not user@host or user@host:port`)
  const [, user, host, portText] = match
  if (host.startsWith('-') || user?.startsWith('-')) fail(`${where}: a user or host name cannot start with "-"`)
  const port = portText === undefined ? undefined : Number(portText)
  if (port !== undefined && (port < 1 || port > 65535)) fail(`${where}: port ${portText} is not between 1 and 65535`)
  const params: [string, string][] = []
  if (query >= 0) {
    for (const pair of rest.slice(query + 1).split('&')) {
      if (pair === '') continue
      const eq = pair.indexOf('=')
      const name = eq < 0 ? pair : pair.slice(0, eq)
      if (PARAMS_OF_FIELDS[name] !== undefined)
        fail(`${where}: give ${name} as ${PARAMS_OF_FIELDS[name]}, not in the URI`)
      params.push([name, eq < 0 ? '' : pair.slice(eq + 1)])
    }
  }
  return { scheme, user, host, port, params }
}

function parseLine(text: string, line: number): Builder {
  const fields = text.split(/[ \t]+/)
  const where = at(line, text)
  if (fields.length > 8) fail(`${where} has ${fields.length} fields; a builder has at most 8: ${FIELDS}`)
  const [uriText, systems, identityFile, maxJobs, speedFactor, supported, mandatory, hostKey] = fields
  const uri = parseUri(uriText, where)
  if (isSet(identityFile) && !identityFile.startsWith('/'))
    fail(`${where}: the ssh key file (field 3) "${identityFile}" is not an absolute path`)
  if (isSet(hostKey)) {
    const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(hostKey) ? Buffer.from(hostKey, 'base64').toString('latin1') : ''
    const [type = '', key = ''] = decoded.trim().split(/\s+/)
    if (!publicKey(type, key))
      fail(`${where}: field 8 is not the base64 of a public host key ("ssh-ed25519 AAAA…" | base64 -w0)`)
  }
  return {
    line,
    uri,
    systems: list(systems, SYSTEM, 'a Nix system such as aarch64-linux', where),
    identityFile: isSet(identityFile) ? identityFile : undefined,
    maxJobs: count(maxJobs, 'max-jobs (field 4)', where),
    speedFactor: count(speedFactor, 'the speed factor (field 5)', where),
    supportedFeatures: list(supported, FEATURE, 'a system feature such as big-parallel', where),
    mandatoryFeatures: list(mandatory, FEATURE, 'a system feature such as big-parallel', where),
    hostKey: isSet(hostKey) ? hostKey : undefined
  }
}

/** The builders input: one machine per line (";" separates several on a line, as in nix.conf); # starts a comment. */
export function parseBuilders(text: string): Builder[] {
  const builders: Builder[] = []
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    for (const part of raw.replace(/#.*$/, '').split(';')) {
      const trimmed = part.trim()
      if (trimmed !== '') builders.push(parseLine(trimmed, index + 1))
    }
  })
  return builders
}

/** known_hosts lines ("host[,host…] type key [comment]", as ssh-keyscan prints them); # starts a comment. */
export function parseHostKeys(text: string): HostKey[] {
  const keys: HostKey[] = []
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    const where = `line ${index + 1}`
    if (trimmed.startsWith('@'))
      fail(`${where}: markers such as @cert-authority are not supported: give the host's own key`)
    const [hosts = '', type = '', key = ''] = trimmed.split(/\s+/)
    if (hosts.startsWith('|'))
      fail(`${where}: a hashed host name cannot be matched to a builder: run ssh-keyscan without -H`)
    if (!publicKey(type, key)) fail(`${where} is not "host type key" with a public key, as ssh-keyscan prints it`)
    keys.push({ line: index + 1, hosts: hosts.split(',').filter(h => h !== ''), type, key })
  })
  return keys
}

/** The builder's address for messages and logs, without parameters: ssh-ng://root@host:2222. */
export function builderAddress(builder: Builder): string {
  const { scheme, user, host, port } = builder.uri
  return `${scheme}://${user === undefined ? '' : `${user}@`}${host}${port === undefined ? '' : `:${port}`}`
}

/** The names ssh looks a host up by in known_hosts. */
function knownHostNames(builder: Builder): string[] {
  const { host, port } = builder.uri
  return port === undefined || port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`, host]
}

function matches(key: HostKey, builder: Builder): boolean {
  const names = knownHostNames(builder).map(n => n.toLowerCase())
  return key.hosts.some(h => names.includes(h.toLowerCase()))
}

/** The host key pinned for a builder, as field 8 holds it (base64 of "type key"): field 8, else builder-host-keys. */
export function pinnedHostKey(builder: Builder, hostKeys: HostKey[]): string | undefined {
  if (builder.hostKey !== undefined) return builder.hostKey
  const candidates = hostKeys.filter(k => matches(k, builder))
  if (candidates.length === 0) return undefined
  const rank = (k: HostKey): number => {
    const i = KEY_PREFERENCE.indexOf(k.type)
    return i < 0 ? KEY_PREFERENCE.length : i
  }
  const best = candidates.reduce((a, b) => (rank(b) < rank(a) ? b : a))
  return Buffer.from(`${best.type} ${best.key}`).toString('base64')
}

/**
 * What cannot work, checked before anything is written: every builder has a pinned host key,
 * and every host key line belongs to a builder (a typo would otherwise pin nothing).
 */
export function checkHostKeys(builders: Builder[], hostKeys: HostKey[]): void {
  for (const builder of builders) {
    const fromLines = hostKeys.filter(k => matches(k, builder))
    if (builder.hostKey === undefined && fromLines.length === 0) {
      const scan = builder.uri.port === undefined ? builder.uri.host : `-p ${builder.uri.port} ${builder.uri.host}`
      fail(
        `no host key is pinned for ${builderAddress(builder)} (line ${builder.line} of builders): add its line from "ssh-keyscan ${scan}" to builder-host-keys, or the key's base64 as field 8`
      )
    }
  }
  for (const key of hostKeys)
    if (!builders.some(b => matches(key, b)))
      fail(`line ${key.line} (${key.hosts.join(',')}) is the host key of none of the builders`)
}

/** Nix 2.31 reads a port in a builder's URI; before, ssh was handed "host:port" as the host name. */
export function nixTakesBuilderPort(nixVersion: string): boolean {
  const [major = 0, minor = 0] = nixVersion.split('.').map(n => Number.parseInt(n, 10))
  return major > 2 || (major === 2 && minor >= 31)
}

export interface RenderOptions {
  /** The key the action wrote for builders whose field 3 is "-". */
  identityFile?: string
  hostKeys: HostKey[]
  /** False before Nix 2.31: the port is left out of the URI (and given to ssh another way). */
  portInUri: boolean
}

/** The host without the brackets of an IPv6 address. */
function bareHost(uri: BuilderUri): string {
  return uri.host.replace(/^\[|\]$/g, '')
}

/**
 * The name ssh is given for a builder on another port when Nix cannot pass the port (before
 * 2.31): an ssh_config Host entry of that name supplies the address and the port. It is made of
 * the address and the port alone, so two jobs that define it define the same thing.
 */
function sshAlias(uri: BuilderUri): string {
  return `${bareHost(uri).replace(/[^A-Za-z0-9.-]/g, '-')}-port-${uri.port ?? 22}`
}

function uriText(uri: BuilderUri, portInUri: boolean, extra: [string, string][] = []): string {
  const host = uri.port === undefined ? uri.host : portInUri ? `${uri.host}:${uri.port}` : sshAlias(uri)
  const params = [...uri.params, ...extra].map(([name, value]) => `${name}=${value}`).join('&')
  return `${uri.scheme}://${uri.user === undefined ? '' : `${uri.user}@`}${host}${params === '' ? '' : `?${params}`}`
}

const field = (value: string | number | undefined): string => (value === undefined ? '-' : String(value))
const fieldList = (values: string[]): string => (values.length === 0 ? '-' : values.join(','))

/** One machine as Nix reads it: all 8 fields, "-" where Nix's default applies. */
function renderBuilder(builder: Builder, options: RenderOptions): string {
  return [
    uriText(builder.uri, options.portInUri),
    fieldList(builder.systems),
    field(builder.identityFile ?? options.identityFile),
    field(builder.maxJobs),
    field(builder.speedFactor),
    fieldList(builder.supportedFeatures),
    fieldList(builder.mandatoryFeatures),
    field(pinnedHostKey(builder, options.hostKeys))
  ].join(' ')
}

/** The value of nix.conf's builders: one line (nix.conf has no other), machines separated by ";". */
export function buildersSetting(builders: Builder[], options: RenderOptions): string {
  return builders.map(b => renderBuilder(b, options)).join(' ; ')
}

/**
 * The builder as a store URI that reaches it exactly as a build would: the same key and pinned
 * host key (Nix's ssh-key and base64-ssh-public-host-key parameters are fields 3 and 8).
 */
export function builderStoreUri(builder: Builder, options: RenderOptions): string {
  const extra: [string, string][] = []
  const identityFile = builder.identityFile ?? options.identityFile
  if (identityFile !== undefined) extra.push(['ssh-key', identityFile])
  const hostKey = pinnedHostKey(builder, options.hostKeys)
  if (hostKey !== undefined) extra.push(['base64-ssh-public-host-key', hostKey])
  return uriText(builder.uri, options.portInUri, extra)
}

/** The systems the builders build; a builder with no systems field builds the local machine's. */
export function builderSystems(builders: Builder[], localSystem: string): string[] {
  return [...new Set(builders.flatMap(b => (b.systems.length > 0 ? b.systems : [localSystem])))]
}

/**
 * ssh_config entries for the builders on another port, for Nix before 2.31: each alias gets its
 * address and port, and is its own name in known_hosts, where Nix writes the pinned key under it.
 */
export function renderSshAliases(builders: Builder[]): string | undefined {
  const entries = new Map<string, string[]>()
  for (const { uri } of builders) {
    if (uri.port === undefined) continue
    const alias = sshAlias(uri)
    entries.set(alias, [
      `Host ${alias}`,
      `  HostName ${bareHost(uri)}`,
      `  Port ${uri.port}`,
      `  HostKeyAlias ${alias}`
    ])
  }
  if (entries.size === 0) return undefined
  return `${['# Written by nix-cachix-build for its remote builders; its post step removes it.', ...[...entries.values()].flat()].join('\n')}\n`
}
