import * as core from '@actions/core'
import type { CompressionMethod } from '../cachix/types.js'
import { parseDiffBase, type DiffBase } from '../diff/base-input.js'
import {
  attributePaths,
  bool,
  cacheName,
  cacheNames,
  cachixUrl as cachixUrlInput,
  compression as compressionMethod,
  extraNixConfig,
  fail,
  flakeRef,
  hasControl,
  hostNames,
  inputValue,
  nixVersion as nixRelease,
  positiveInt,
  pushFilter as pushFilterRegex
} from '../inputs/checks.js'
import { checkedReader, readInputs, type InputReader } from '../inputs/reader.js'
import { sshPrivateKey } from '../inputs/ssh-key.js'
import { STOP_GRACE_MS } from '../nix-build/nix-build.js'
import {
  BuilderSpecError,
  builderSystems,
  checkHostKeys,
  parseBuilders,
  parseHostKeys,
  type Builder,
  type HostKey
} from '../nix/remote-builders.js'
import { parseSigningKey } from '../nix/format/signing.js'
import { PUSH_DEFAULTS } from '../push/create.js'
import { nativeSystem, SYSTEMS, type NixSystem } from '../util/platform.js'

export type Tristate = 'auto' | 'true' | 'false'

export interface Inputs {
  flake: string
  /** Empty: every host whose system is `system`. */
  hosts: string[]
  system: NixSystem
  attributes: string[]
  /** Build every check of checks.<system>. */
  checks: boolean
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

/** The action's inputs, validated, with the secrets masked before anything can log them. */
export function getInputs(): Inputs {
  return readInputs(
    read => parseInputs(read),
    name => core.getInput(name),
    value => core.setSecret(value)
  )
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
function splitArgs(name: string, text: string): string[] {
  const source = text.trim()
  if (/[\n\r]/.test(source)) fail(name, 'must be on one line')
  if (hasControl(source, '\t')) fail(name, 'contains a control character: type the arguments as plain text')
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

// extra-nix-config is the workflow author's own nix.conf text, so any setting stays theirs to make
// (it applies with the daemon's root privileges, which action.yml says). Only the hook is refused:
// the action owns it and chains to one already there.
const FORBIDDEN_NIX_CONFIG = ['post-build-hook']

/**
 * Reads and checks every input. Nothing else reads inputs, and nothing happens before this
 * returns, so a bad value is one line of error and no side effect. Each group below is read in
 * the order the inputs were always checked, so the first of several bad inputs is the one named.
 */
export function parseInputs(
  readRaw: InputReader,
  arch: string = process.arch,
  platform: string = process.platform
): Inputs {
  const read = checkedReader(readRaw)
  const flake = flakeRef('flake', read('flake'))
  const hosts = hostNames('hosts', read('hosts'))
  const native = nativeSystem(arch, platform)
  const system = legSystem(read('system').trim(), native, arch, platform)
  const attributes = attributePaths('attributes', read('attributes'))
  const checks = bool('checks', read('checks'), false)
  const maxJobs = read('max-jobs').trim()
  if (maxJobs !== '' && maxJobs !== 'auto' && !/^\d+$/.test(maxJobs))
    fail('max-jobs', `"${maxJobs}" is not a whole number or auto`)
  const cachix = cachixInputs(read)
  const nixVersion = nixRelease('nix-version', read('nix-version'))
  const extraNixConfigText = extraNixConfig('extra-nix-config', read('extra-nix-config'), FORBIDDEN_NIX_CONFIG)
  const builders = builderInputs(read, maxJobs, system, native)
  const qemu = qemuInputs(read)
  const budget = timeInputs(read)
  const diffBase = inputValue('diff-base', () => parseDiffBase(read('diff-base')))
  if (diffBase.kind !== 'off' && cachix.cachix === undefined)
    fail('diff-base', 'needs the cachix input: the base closures are read from the cache')
  const cachixUrl = cachixUrlInput('cachix-url', read('cachix-url'))

  return {
    flake,
    hosts,
    system,
    attributes,
    checks,
    // A checks leg keeps going whatever keep-going says: one failing check must not hide the others.
    keepGoing: bool('keep-going', read('keep-going'), true) || checks,
    maxJobs: maxJobs || undefined,
    cores: positiveInt('cores', read('cores'), true),
    extraArgs: splitArgs('extra-args', read('extra-args')),
    ...cachix,
    cachixUrl,
    useHostSubstituters: bool('use-host-substituters', read('use-host-substituters'), true),
    skipCached: bool('skip-cached', read('skip-cached'), true),
    failOnPushError: bool('fail-on-push-error', read('fail-on-push-error'), false),
    installNix: tristate('install-nix', read('install-nix')),
    nixVersion,
    extraNixConfig: extraNixConfigText,
    githubToken: read('github-token').trim() || undefined,
    ...builders,
    buildersUseSubstitutes: bool('builders-use-substitutes', read('builders-use-substitutes'), true),
    ...qemu,
    ...budget,
    pushJobs: positiveInt('push-jobs', read('push-jobs')) ?? PUSH_DEFAULTS.jobs,
    flakeInputCache: bool('flake-input-cache', read('flake-input-cache'), true),
    diffBase,
    diffComment: bool('diff-comment', read('diff-comment'), true),
    freeDiskSpace: bool('free-disk-space', read('free-disk-space'), false)
  }
}

/** The leg's system: the input, or the runner's own. */
function legSystem(text: string, native: NixSystem | undefined, arch: string, platform: string): NixSystem {
  if (text === '') {
    if (!native)
      fail(
        'system',
        `the runner's architecture ${arch} is not supported on ${platform}: set system to one of ${SYSTEMS.join(', ')}`
      )
    return native
  }
  if ((SYSTEMS as string[]).includes(text)) return text as NixSystem
  return fail('system', `"${text}" is not one of ${SYSTEMS.join(', ')}`)
}

type CachixInputs = Pick<
  Inputs,
  'cachix' | 'cachixAuthToken' | 'cachixSigningKey' | 'push' | 'pushFilter' | 'compression' | 'extraPullCaches'
>

/** The cache, its credentials and what to push; credentials without a cache or push without credentials fail. */
function cachixInputs(read: InputReader): CachixInputs {
  const cachix = cacheName('cachix', read('cachix'))
  const token = read('cachix-auth-token').trim() || undefined
  const signingKey = read('cachix-signing-key').trim() || undefined
  if (signingKey !== undefined) inputValue('cachix-signing-key', () => parseSigningKey(signingKey))
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
  return {
    cachix,
    cachixAuthToken: token,
    cachixSigningKey: signingKey,
    push,
    pushFilter,
    compression,
    extraPullCaches
  }
}

/** The remote builders, their key and host keys, checked against each other and against max-jobs 0. */
function builderInputs(
  read: InputReader,
  maxJobs: string,
  system: NixSystem,
  native: NixSystem | undefined
): Pick<Inputs, 'builders' | 'builderSshKey' | 'builderHostKeys'> {
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
  return { builders: builders.builders, builderSshKey, builderHostKeys: builders.hostKeys }
}

function qemuInputs(read: InputReader): Pick<Inputs, 'qemu' | 'qemuInterpreter'> {
  const qemu = tristate('qemu', read('qemu'))
  const qemuInterpreter = read('qemu-interpreter').trim() || undefined
  if (qemuInterpreter !== undefined && !qemuInterpreter.startsWith('/'))
    fail('qemu-interpreter', `"${qemuInterpreter}" is not an absolute path`)
  // The binfmt_misc register line separates its fields with colons.
  if (qemuInterpreter?.includes(':'))
    fail(
      'qemu-interpreter',
      `"${qemuInterpreter}" contains a colon, which binfmt_misc cannot take in an interpreter path`
    )
  return { qemu, qemuInterpreter }
}

/** time-budget must leave room to build after drain-timeout and nix's stop. */
function timeInputs(read: InputReader): Pick<Inputs, 'timeBudgetMinutes' | 'drainTimeoutSeconds'> {
  const timeBudgetMinutes = positiveInt('time-budget', read('time-budget'))
  const drainTimeoutSeconds = positiveInt('drain-timeout', read('drain-timeout')) ?? 600
  const stopSeconds = (2 * STOP_GRACE_MS) / 1000
  if (timeBudgetMinutes !== undefined && timeBudgetMinutes * 60 <= drainTimeoutSeconds + stopSeconds) {
    fail(
      'time-budget',
      `${timeBudgetMinutes} minutes leave no time to build after the ${drainTimeoutSeconds} s drain-timeout and ${stopSeconds} s to stop nix: raise it or lower drain-timeout`
    )
  }
  return { timeBudgetMinutes, drainTimeoutSeconds }
}

/** The builders and their pinned host keys, each checked, and checked against each other. */
function remoteBuilders(buildersText: string, hostKeysText: string): { builders: Builder[]; hostKeys: HostKey[] } {
  const builders = inputValue('builders', () => parseBuilders(buildersText), BuilderSpecError)
  const hostKeys = inputValue('builder-host-keys', () => parseHostKeys(hostKeysText), BuilderSpecError)
  inputValue('builder-host-keys', () => checkHostKeys(builders, hostKeys), BuilderSpecError)
  return { builders, hostKeys }
}
