import { isValidCacheName } from '../cachix/names.js'
import { DEFAULT_CACHIX_URL } from '../cachix/client.js'
import { parseHostReference } from '../hosts/configurations.js'
import { errorMessage } from '../util/errors.js'

/** The Nix the action and the planner install when the runner has none. */
const DEFAULT_NIX_VERSION = '2.35.1'

/** A bad input of any front end: which one, and what is wrong with it (never its value when it is a secret). */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly problem: string
  ) {
    super(`input ${input}: ${problem}`)
  }
}

export function fail(input: string, problem: string): never {
  throw new InputError(input, problem)
}

/**
 * `parse()`, a thrown `problems` (any error by default) becoming the input's error: the value is
 * bad, and the message says why.
 */
export function inputValue<T>(
  input: string,
  parse: () => T,
  problems: abstract new (...args: never[]) => Error = Error
): T {
  try {
    return parse()
  } catch (error: unknown) {
    if (error instanceof problems) fail(input, error.message)
    throw error
  }
}

const ATTRIBUTE_PATH = /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*|\."[^"]+")*$/

/** Items separated by blanks, commas or line breaks. */
export function list(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map(s => s.trim())
    .filter(s => s !== '')
}

/**
 * The one control-character rule of every input: a C0 control character or DEL, except those of
 * `allow` (the tab and line breaks a list or several lines of text may hold). By code point rather
 * than a regular expression with control characters in it.
 */
export function hasControl(text: string, allow = ''): boolean {
  return [...text].some(c => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) && !allow.includes(c))
}

export function bool(input: string, text: string, fallback: boolean): boolean {
  const value = text.trim().toLowerCase()
  if (value === '') return fallback
  if (value === 'true') return true
  if (value === 'false') return false
  return fail(input, `"${text}" is not true or false`)
}

export function positiveInt(input: string, text: string, allowZero = false): number | undefined {
  const value = text.trim()
  if (value === '') return undefined
  if (!/^\d+$/.test(value) || (!allowZero && Number(value) === 0))
    return fail(input, `"${text}" is not a ${allowZero ? 'non-negative' : 'positive'} whole number`)
  return Number(value)
}

export function flakeRef(input: string, text: string): string {
  const flake = text.trim() || '.'
  if (/\s/.test(flake))
    fail(input, `"${flake}" contains spaces: give one flake reference such as "." or "github:owner/repo"`)
  return flake
}

/** Hosts as written: `name` or `kind:name` (see parseHostReference). */
export function hostNames(input: string, text: string): string[] {
  const hosts = list(text)
  for (const host of hosts) inputValue(input, () => parseHostReference(host))
  return hosts
}

export function attributePaths(input: string, text: string): string[] {
  const attributes = list(text)
  for (const attribute of attributes)
    if (!ATTRIBUTE_PATH.test(attribute))
      fail(input, `"${attribute}" is not an attribute path such as nixosConfigurations.host.pkgs.hello`)
  return attributes
}

export function cacheName(input: string, text: string): string | undefined {
  const name = text.trim() || undefined
  if (name !== undefined && !isValidCacheName(name))
    fail(input, `"${name}" is not a Cachix cache name (lowercase letters, digits and dashes)`)
  return name
}

export function cacheNames(input: string, text: string): string[] {
  const names = list(text)
  for (const name of names) if (!isValidCacheName(name)) fail(input, `"${name}" is not a Cachix cache name`)
  return names
}

export function cachixUrl(input: string, text: string): string {
  const url = text.trim() || DEFAULT_CACHIX_URL
  if (!/^https?:\/\/[^\s/]+/.test(url)) fail(input, `"${url}" is not an http(s) URL`)
  return url
}

export function nixVersion(input: string, text: string): string {
  const version = text.trim() || DEFAULT_NIX_VERSION
  if (!/^\d+\.\d+(\.\d+)?$/.test(version))
    fail(input, `"${version}" is not a Nix release such as ${DEFAULT_NIX_VERSION}`)
  return version
}

export function pushFilter(input: string, text: string): RegExp | undefined {
  const source = text.trim()
  if (source === '') return undefined
  try {
    return new RegExp(source)
  } catch (error: unknown) {
    return fail(input, `"${source}" is not a valid regular expression (${errorMessage(error)})`)
  }
}

export function compression(input: string, text: string): 'zstd' | 'xz' | undefined {
  const method = text.trim().toLowerCase()
  if (method === 'zstd' || method === 'xz') return method
  if (method !== '') fail(input, `"${method}" is not zstd or xz`)
  return undefined
}

/**
 * The workflow author's own nix.conf lines: each "name = value" or an include; `forbidden` names
 * settings the action owns.
 */
export function extraNixConfig(input: string, text: string, forbidden: string[] = []): string {
  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    if (hasControl(trimmed, '\t')) fail(input, 'contains a control character: type it as plain text')
    const match = /^([A-Za-z0-9-]+)\s*=/.exec(trimmed)
    if (!match && !/^!?include\s+\S/.test(trimmed)) fail(input, `line "${trimmed}" is not "name = value"`)
    if (match && forbidden.includes(match[1]))
      fail(input, `sets ${match[1]}, which this action owns (it chains to a hook already in nix.conf)`)
  }
  return text
}
