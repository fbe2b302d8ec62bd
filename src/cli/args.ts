import { parseArgs } from 'node:util'
import { DEFAULT_CACHIX_URL } from '../cachix/client.js'
import {
  cacheName,
  compression as compressionMethod,
  InputError,
  positiveInt,
  pushFilter as pushFilterRegex
} from '../inputs/checks.js'
import { isRevision } from '../diff/base-input.js'
import { PUSH_DEFAULTS } from '../push/create.js'
import { parseHostReference } from '../hosts/configurations.js'
import { errorMessage } from '../util/errors.js'

export const USAGE = `Usage:
  nix-cachix-build push  --cache NAME [options] PATH...     push store paths (and their closures); paths on stdin when none are given
  nix-cachix-build build --cache NAME [--host H]... [INSTALLABLE...] [options]
                                                           build hosts or installables and push everything new while building
  nix-cachix-build check --cache NAME HOST [options]         would switching to HOST compile anything? exit 0 when it only downloads
  nix-cachix-build diff  --cache NAME HOST [--base REV] [--json]
                                                           what switching to HOST changes (packages, sizes, download) against
                                                           HOST at REV, or against the running system without --base

Options:
  --flake REF          flake holding the hosts (default .)
  --cachix-url URL     Cachix API (default https://cachix.org)
  --jobs N             paths uploaded at once (default 8)
  --push-filter REGEX  do not push paths matching REGEX
  --compression zstd|xz
  --base REV           diff: compare with HOST at this git revision of the flake
  --json               diff: print the diff as JSON
  -h, --help

HOST is a name of nixosConfigurations, darwinConfigurations or homeConfigurations; nixos:NAME,
darwin:NAME or home:NAME says which when several have it.

Credentials: CACHIX_AUTH_TOKEN and CACHIX_SIGNING_KEY, else ~/.config/cachix/cachix.dhall (as written by cachix authtoken).`

export type Command =
  | { kind: 'help' }
  | { kind: 'push'; common: CommonOptions; paths: string[] }
  | { kind: 'build'; common: CommonOptions; hosts: string[]; installables: string[] }
  | { kind: 'check'; common: CommonOptions; host: string }
  | { kind: 'diff'; common: CommonOptions; host: string; base?: string; json: boolean }

export interface CommonOptions {
  cache: string
  flake: string
  cachixUrl: string
  jobs: number
  pushFilter?: RegExp
  compression?: 'zstd' | 'xz'
}

function hostReference(text: string): void {
  try {
    parseHostReference(text)
  } catch (error: unknown) {
    throw new Error(`host ${errorMessage(error)}`, { cause: error })
  }
}

/** Parses the command line; a usage error is one line that says what to fix. */
export function parseCommand(argv: string[]): Command {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      cache: { type: 'string' },
      flake: { type: 'string', default: '.' },
      'cachix-url': { type: 'string', default: process.env.CACHIX_URL ?? DEFAULT_CACHIX_URL },
      jobs: { type: 'string', default: String(PUSH_DEFAULTS.jobs) },
      'push-filter': { type: 'string' },
      compression: { type: 'string' },
      host: { type: 'string', multiple: true, default: [] },
      base: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  const [verb, ...rest] = positionals
  if (values.help || verb === undefined || verb === 'help') return { kind: 'help' }
  if (!['push', 'build', 'check', 'diff'].includes(verb))
    throw new Error(`unknown command "${verb}": use push, build, check or diff (see --help)`)
  const cache = values.cache ?? ''
  if (cache === '') throw new Error(`${verb} needs --cache NAME`)
  const option = <T>(flag: string, parse: () => T): T => {
    try {
      return parse()
    } catch (error: unknown) {
      if (error instanceof InputError) throw new Error(`--${flag} ${error.problem}`, { cause: error })
      throw error
    }
  }
  option('cache', () => cacheName('cache', cache))
  const jobs = option('jobs', () => positiveInt('jobs', values.jobs)) ?? PUSH_DEFAULTS.jobs
  const pushFilter = option('push-filter', () =>
    values['push-filter'] === undefined ? undefined : pushFilterRegex('push-filter', values['push-filter'])
  )
  const compression = option('compression', () => compressionMethod('compression', values.compression ?? ''))
  const common: CommonOptions = {
    cache,
    flake: values.flake,
    cachixUrl: values['cachix-url'],
    jobs,
    pushFilter,
    compression
  }
  if (verb === 'push') return { kind: 'push', common, paths: rest }
  if (verb === 'build') {
    if (values.host.length === 0 && rest.length === 0) throw new Error('build needs --host NAME or an installable')
    for (const host of values.host) hostReference(host)
    return { kind: 'build', common, hosts: values.host, installables: rest }
  }
  if (rest.length !== 1) throw new Error(`${verb} takes exactly one host name`)
  hostReference(rest[0])
  if (verb === 'diff') {
    if (values.base !== undefined && !isRevision(values.base))
      throw new Error(`--base "${values.base}" is not a git revision such as main or a commit hash`)
    return { kind: 'diff', common, host: rest[0], base: values.base, json: values.json }
  }
  return { kind: 'check', common, host: rest[0] }
}
