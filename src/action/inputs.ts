import type { CompressionMethod } from '../cachix/types.js'
import { parseSigningKey } from '../nix/format/signing.js'
import { parseDiffBase, type DiffBase } from '../diff/base-input.js'
import { STOP_GRACE_MS } from '../nix-build/nix-build.js'
import { PUSH_DEFAULTS } from '../push/create.js'
import { sshPrivateKey } from '../inputs/ssh-key.js'
import {
  BuilderSpecError,
  builderSystems,
  checkHostKeys,
  parseBuilders,
  parseHostKeys,
  type Builder,
  type HostKey
} from '../nix/remote-builders.js'
import {
  attributePaths,
  bool,
  cacheName,
  cacheNames,
  cachixUrl as cachixUrlInput,
  compression as compressionMethod,
  extraNixConfig,
  flakeRef,
  hostNames,
  InputError,
  nixVersion as nixRelease,
  positiveInt,
  pushFilter as pushFilterRegex
} from '../inputs/checks.js'
import { errorMessage } from '../util/errors.js'

export type Tristate = 'auto' | 'true' | 'false'
export type NixSystem = 'x86_64-linux' | 'aarch64-linux' | 'aarch64-darwin' | 'x86_64-darwin'
export const SYSTEMS: NixSystem[] = ['x86_64-linux', 'aarch64-linux', 'aarch64-darwin', 'x86_64-darwin']

export interface Inputs {
  flake: string
  /** Empty: every host whose system is `system`. */
  hosts: string[]
  system: NixSystem
  attributes: string[]
  keepGoing: boolean
  maxJobs?: string
  cores?: number
  extraArgs: string[]
  cachix?: string
  cachixAuthToken?: string
  cachixSigningKey?: string
  cachixUrl: string
  push: Tristate
  pushFilter?: RegExp
  compression?: CompressionMethod
  extraPullCaches: string[]
  useHostSubstituters: boolean
  skipCached: boolean
  failOnPushError: boolean
  installNix: Tristate
  nixVersion: string
  extraNixConfig: string
  githubToken?: string
  /** Nix's remote builders, one per line of the input. */
  builders: Builder[]
  /** The private key for builders whose field 3 is "-" (normalised: Unix line ends, final newline). */
  builderSshKey?: string
  /** Pinned host keys of the builders (known_hosts lines). */
  builderHostKeys: HostKey[]
  buildersUseSubstitutes: boolean
  qemu: Tristate
  qemuInterpreter?: string
  /** Minutes the action may run before it stops building to drain pushes. */
  timeBudgetMinutes?: number
  drainTimeoutSeconds: number
  pushJobs: number
  flakeInputCache: boolean
  /** Where the closure diff's base comes from. */
  diffBase: DiffBase
  /** Post the closure diff as the pull request's sticky comment. */
  diffComment: boolean
  /** Remove the hosted image's unused toolchains and build on the roomiest disk. */
  freeDiskSpace: boolean
}

export type InputReader = (name: string) => string

function fail(name: string, message: string): never {
  throw new InputError(name, message)
}

function tristate(name: string, text: string): Tristate {
  const value = text.trim().toLowerCase() || 'auto'
  if (value === 'auto' || value === 'true' || value === 'false') return value
  return fail(name, `"${text}" is not auto, true or false`)
}

/**
 * Splits `extra-args` into words as a POSIX shell would, without running one: blanks separate
 * words; '…' keeps everything literally; "…" and a bare backslash escape the next character
 * ("…" only for \ " $ `, as a shell does). No variables, globs or substitutions: $ and * stay as typed.
 */
export function splitArgs(name: string, text: string): string[] {
  const source = text.trim()
  if (/[\n\r]/.test(source)) fail(name, 'must be on one line')
  if (CONTROL.test(source)) fail(name, 'contains a control character: type the arguments as plain text')
  const args: string[] = []
  let word: string | undefined
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    if (c === ' ' || c === '\t') {
      if (word !== undefined) args.push(word)
      word = undefined
    } else if (c === "'") {
      const end = source.indexOf("'", i + 1)
      if (end < 0) fail(name, `has an unclosed quote: the ' at character ${i + 1} is never closed`)
      word = (word ?? '') + source.slice(i + 1, end)
      i = end
    } else if (c === '"') {
      word = word ?? ''
      for (i++; source[i] !== '"'; i++) {
        if (i >= source.length) fail(name, 'has an unclosed quote: a " is never closed')
        if (source[i] === '\\' && '\\"$`'.includes(source[i + 1] ?? '')) i++
        word += source[i]
      }
    } else if (c === '\\') {
      if (i + 1 >= source.length) fail(name, 'ends with a backslash that escapes nothing')
      word = (word ?? '') + source[++i]
    } else word = (word ?? '') + c
  }
  if (word !== undefined) args.push(word)
  const setsHook = args.findIndex(
    (arg, i) => arg === '--post-build-hook' || (arg === '--option' && args[i + 1] === 'post-build-hook')
  )
  if (setsHook >= 0)
    fail(name, 'sets post-build-hook, which this action owns (it chains to a hook already in nix.conf)')
  return args
}

export function nativeSystem(arch: string = process.arch, platform: string = process.platform): NixSystem | undefined {
  const os = platform === 'darwin' ? 'darwin' : platform === 'linux' ? 'linux' : undefined
  if (os === undefined) return undefined
  if (arch === 'x64') return `x86_64-${os}` as const
  if (arch === 'arm64') return `aarch64-${os}` as const
  return undefined
}

// extra-nix-config is the workflow author's own nix.conf text, so any setting stays theirs to make
// (it applies with the daemon's root privileges, which action.yml says). Only the hook is refused:
// the action owns it and chains to one already there. Line breaks separate settings by design;
// other control characters never belong in nix.conf.
const FORBIDDEN_NIX_CONFIG = ['post-build-hook']

// Inputs reach nix.conf, secrets.conf, netrc and the binfmt register, which are read line by
// line: a line break in a value would add a setting of its own (a post-build-hook runs as root).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const SINGLE_LINE_BAD = /[\u0000-\u001f\u007f]/
// Tabs, line feeds and carriage returns are fine in lists and in extra-nix-config's lines
// (extra-args is listed with them only so that splitArgs can say "must be on one line" itself).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/
const MULTI_LINE = new Set([
  'hosts',
  'attributes',
  'extra-pull-caches',
  'extra-nix-config',
  'extra-args',
  'builders',
  'builder-host-keys',
  'builder-ssh-key'
])
const SECRET = new Set(['cachix-auth-token', 'cachix-signing-key', 'github-token'])

/** Refuses characters that could end a line in a file the input is written to. Never echoes the value. */
function checkCharacters(name: string, value: string): void {
  const trimmed = value.trim()
  if (SECRET.has(name)) {
    if (/\s/.test(trimmed) || SINGLE_LINE_BAD.test(trimmed))
      fail(name, 'contains white space or a control character: paste the secret alone, without a prefix or line breaks')
  } else if (MULTI_LINE.has(name)) {
    if (CONTROL.test(value)) fail(name, 'contains a control character: type it as plain text')
  } else if (SINGLE_LINE_BAD.test(trimmed)) {
    fail(name, 'contains a line break or another control character: give it on one line')
  }
}

/**
 * Reads and checks every input. Nothing else reads inputs, and nothing happens before this
 * returns, so a bad value is one line of error and no side effect.
 */
export function parseInputs(
  readRaw: InputReader,
  arch: string = process.arch,
  platform: string = process.platform
): Inputs {
  const read = (name: string): string => {
    const value = readRaw(name)
    checkCharacters(name, value)
    return value
  }
  const text = (name: string): string => read(name).trim()

  const flake = flakeRef('flake', read('flake'))
  const hosts = hostNames('hosts', read('hosts'))

  const systemText = text('system')
  const native = nativeSystem(arch, platform)
  let system: NixSystem
  if (systemText === '') {
    if (!native)
      fail(
        'system',
        `the runner's architecture ${arch} is not supported on ${platform}: set system to one of ${SYSTEMS.join(', ')}`
      )
    system = native
  } else if ((SYSTEMS as string[]).includes(systemText)) system = systemText as NixSystem
  else fail('system', `"${systemText}" is not one of ${SYSTEMS.join(', ')}`)

  const attributes = attributePaths('attributes', read('attributes'))

  const maxJobs = text('max-jobs')
  if (maxJobs !== '' && maxJobs !== 'auto' && !/^\d+$/.test(maxJobs))
    fail('max-jobs', `"${maxJobs}" is not a whole number or auto`)

  const cachix = cacheName('cachix', read('cachix'))

  const token = read('cachix-auth-token').trim() || undefined
  const signingKey = read('cachix-signing-key').trim() || undefined
  if (signingKey !== undefined) {
    try {
      parseSigningKey(signingKey)
    } catch (error: unknown) {
      fail('cachix-signing-key', errorMessage(error))
    }
  }

  const push = tristate('push', read('push'))
  if (push === 'true' && cachix === undefined) fail('push', 'is true but no cachix cache name is set')
  if (push === 'true' && token === undefined && signingKey === undefined) {
    fail(
      'push',
      'is true but neither cachix-auth-token nor cachix-signing-key is set (is the secret available to this workflow? forks get no secrets)'
    )
  }
  if ((token !== undefined || signingKey !== undefined) && cachix === undefined)
    fail('cachix', 'is empty but Cachix credentials were given: set the cache name')

  const pushFilter = pushFilterRegex('push-filter', read('push-filter'))
  const compression: CompressionMethod | undefined = compressionMethod('compression', read('compression'))
  const extraPullCaches = cacheNames('extra-pull-caches', read('extra-pull-caches'))
  const nixVersion = nixRelease('nix-version', read('nix-version'))
  const extraNixConfigText = extraNixConfig('extra-nix-config', read('extra-nix-config'), FORBIDDEN_NIX_CONFIG)

  const builders = remoteBuilders(read('builders'), read('builder-host-keys'))
  const builderSshKey = sshPrivateKey('builder-ssh-key', read('builder-ssh-key'))
  if (builderSshKey !== undefined && builders.builders.length === 0)
    fail('builder-ssh-key', 'is set but builders is empty: list the builders it logs in to')
  const ownKeyFile = builders.builders.find(b => b.identityFile !== undefined)
  if (builderSshKey !== undefined && ownKeyFile !== undefined)
    fail(
      'builders',
      `line ${ownKeyFile.line} names its own ssh key file (field 3) while builder-ssh-key is set: use "-" in field 3 to log in with builder-ssh-key`
    )
  if (maxJobs === '0') {
    if (builders.builders.length === 0) fail('max-jobs', 'is 0 (build only on remote builders) but builders is empty')
    if (!builderSystems(builders.builders, native ?? system).includes(system))
      fail(
        'max-jobs',
        `is 0 (build only on remote builders) but no builder builds ${system}: add it to a builder's systems (field 2)`
      )
  }
  const qemu = tristate('qemu', read('qemu'))
  const qemuInterpreter = text('qemu-interpreter') || undefined
  if (qemuInterpreter !== undefined && !qemuInterpreter.startsWith('/'))
    fail('qemu-interpreter', `"${qemuInterpreter}" is not an absolute path`)
  // The binfmt_misc register line separates its fields with colons.
  if (qemuInterpreter?.includes(':'))
    fail(
      'qemu-interpreter',
      `"${qemuInterpreter}" contains a colon, which binfmt_misc cannot take in an interpreter path`
    )

  const timeBudgetMinutes = positiveInt('time-budget', read('time-budget'))
  const drainTimeoutSeconds = positiveInt('drain-timeout', read('drain-timeout')) ?? 600
  const stopSeconds = (2 * STOP_GRACE_MS) / 1000
  if (timeBudgetMinutes !== undefined && timeBudgetMinutes * 60 <= drainTimeoutSeconds + stopSeconds) {
    fail(
      'time-budget',
      `${timeBudgetMinutes} minutes leave no time to build after the ${drainTimeoutSeconds} s drain-timeout and ${stopSeconds} s to stop nix: raise it or lower drain-timeout`
    )
  }

  let diffBase: DiffBase
  try {
    diffBase = parseDiffBase(read('diff-base'))
  } catch (error: unknown) {
    fail('diff-base', errorMessage(error))
  }
  if (diffBase.kind !== 'off' && cachix === undefined)
    fail('diff-base', 'needs the cachix input: the base closures are read from the cache')

  const cachixUrl = cachixUrlInput('cachix-url', read('cachix-url'))

  return {
    flake,
    hosts,
    system,
    attributes,
    keepGoing: bool('keep-going', read('keep-going'), true),
    maxJobs: maxJobs || undefined,
    cores: positiveInt('cores', read('cores'), true),
    extraArgs: splitArgs('extra-args', read('extra-args')),
    cachix,
    cachixAuthToken: token,
    cachixSigningKey: signingKey,
    cachixUrl,
    push,
    pushFilter,
    compression,
    extraPullCaches,
    useHostSubstituters: bool('use-host-substituters', read('use-host-substituters'), true),
    skipCached: bool('skip-cached', read('skip-cached'), true),
    failOnPushError: bool('fail-on-push-error', read('fail-on-push-error'), false),
    installNix: tristate('install-nix', read('install-nix')),
    nixVersion,
    extraNixConfig: extraNixConfigText,
    githubToken: read('github-token').trim() || undefined,
    builders: builders.builders,
    builderSshKey,
    builderHostKeys: builders.hostKeys,
    buildersUseSubstitutes: bool('builders-use-substitutes', read('builders-use-substitutes'), true),
    qemu,
    qemuInterpreter,
    timeBudgetMinutes,
    drainTimeoutSeconds,
    pushJobs: positiveInt('push-jobs', read('push-jobs')) ?? PUSH_DEFAULTS.jobs,
    flakeInputCache: bool('flake-input-cache', read('flake-input-cache'), true),
    diffBase,
    diffComment: bool('diff-comment', read('diff-comment'), true),
    freeDiskSpace: bool('free-disk-space', read('free-disk-space'), false)
  }
}

/** The builders and their pinned host keys, each checked, and checked against each other. */
function remoteBuilders(buildersText: string, hostKeysText: string): { builders: Builder[]; hostKeys: HostKey[] } {
  const guard = <T>(name: string, parse: () => T): T => {
    try {
      return parse()
    } catch (error: unknown) {
      if (error instanceof BuilderSpecError) fail(name, error.message)
      throw error
    }
  }
  const builders = guard('builders', () => parseBuilders(buildersText))
  const hostKeys = guard('builder-host-keys', () => parseHostKeys(hostKeysText))
  guard('builder-host-keys', () => checkHostKeys(builders, hostKeys))
  return { builders, hostKeys }
}

export { InputError }
