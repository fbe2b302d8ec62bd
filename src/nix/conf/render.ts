import { NIX_FLAKES_CONF } from '../command.js'
export const BLOCK_BEGIN = "# BEGIN nix-cachix-build (removed again by the action's post step)"
export const BLOCK_END = '# END nix-cachix-build'

export interface NixConfSettings {
  substituters: string[]
  trustedPublicKeys: string[]
  extraPlatforms: string[]
  postBuildHook?: string
  maxJobs?: string
  cores?: number
  /** The builders setting (machines separated by ";"). */
  builders?: string
  /** Builders fetch what their builds need from their own substituters instead of from the runner. */
  buildersUseSubstitutes?: boolean
  trustedUsers: string[]
  /** A 0600 file with the secret settings (access-tokens, netrc-file), kept out of nix.conf. */
  secretsFile?: string
  extraConfig: string
}

// Hosts' nix.settings come from the flake, not from checked inputs: one entry with a line break
// would add a setting of its own (a post-build-hook runs as root), one with a blank two entries.
function unique(values: string[], setting: string): string[] {
  for (const value of values) {
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    if (/[\s\u0000-\u001f\u007f]/.test(value))
      throw new Error(
        `${setting}: ${JSON.stringify(value)} contains white space or a control character, which nix.conf cannot hold in one entry (check the hosts' nix.settings)`
      )
  }
  return [...new Set(values.filter(v => v !== ''))]
}

/** The lines this action adds to nix.conf, between markers so the post step can take them out. */
export function renderManagedBlock(settings: NixConfSettings): string {
  const lines = [BLOCK_BEGIN, NIX_FLAKES_CONF]
  const substituters = unique(settings.substituters, 'extra-substituters')
  if (substituters.length > 0) lines.push(`extra-substituters = ${substituters.join(' ')}`)
  const keys = unique(settings.trustedPublicKeys, 'extra-trusted-public-keys')
  if (keys.length > 0) lines.push(`extra-trusted-public-keys = ${keys.join(' ')}`)
  const platforms = unique(settings.extraPlatforms, 'extra-platforms')
  if (platforms.length > 0) lines.push(`extra-platforms = ${platforms.join(' ')}`)
  const users = unique(settings.trustedUsers, 'extra-trusted-users')
  if (users.length > 0) lines.push(`extra-trusted-users = ${users.join(' ')}`)
  // A cache that fails mid-download should cost a rebuild, not the job.
  lines.push('fallback = true')
  // What this job just pushed must be seen as present by the next query in the same job.
  lines.push('narinfo-cache-negative-ttl = 0')
  if (settings.maxJobs !== undefined) lines.push(`max-jobs = ${settings.maxJobs}`)
  if (settings.cores !== undefined) lines.push(`cores = ${settings.cores}`)
  if (settings.builders !== undefined)
    lines.push(
      `builders = ${settings.builders}`,
      `builders-use-substitutes = ${String(settings.buildersUseSubstitutes ?? true)}`
    )
  if (settings.postBuildHook !== undefined) lines.push(`post-build-hook = ${settings.postBuildHook}`)
  const extra = settings.extraConfig.trim()
  if (extra !== '') lines.push(extra)
  if (settings.secretsFile !== undefined) lines.push(`!include ${settings.secretsFile}`)
  lines.push(BLOCK_END)
  return `${lines.join('\n')}\n`
}

/** `existing` with the managed block replaced by `block`, or removed when `block` is undefined. */
export function replaceManagedBlock(existing: string, block: string | undefined): string {
  const start = existing.indexOf(BLOCK_BEGIN)
  const endMarker = existing.indexOf(BLOCK_END, start)
  let base = existing
  if (start >= 0 && endMarker >= 0) {
    const after = existing.indexOf('\n', endMarker)
    base = existing.slice(0, start) + (after >= 0 ? existing.slice(after + 1) : '')
  }
  if (block === undefined) return base
  const separator = base === '' || base.endsWith('\n') ? '' : '\n'
  return `${base}${separator}${block}`
}

/** The value of `post-build-hook` in a rendered `nix show-config`, if any. */
export function existingPostBuildHook(showConfig: string): string | undefined {
  const match = /^post-build-hook = (.*)$/m.exec(showConfig)
  const value = match?.[1].trim()
  return value === undefined || value === '' ? undefined : value
}

export interface NetrcEntry {
  host: string
  password: string
}

/** netrc lines Nix (curl) uses to send a private cache's token; Cachix takes it as the password. */
export function renderNetrc(entries: NetrcEntry[]): string {
  return entries.map(e => `machine ${e.host} password ${e.password}\n`).join('')
}

export function renderSecretsConf(accessTokens: string[], netrcFile?: string): string {
  const lines: string[] = []
  if (accessTokens.length > 0) lines.push(`access-tokens = ${accessTokens.join(' ')}`)
  if (netrcFile !== undefined) lines.push(`netrc-file = ${netrcFile}`)
  return `${lines.join('\n')}\n`
}
