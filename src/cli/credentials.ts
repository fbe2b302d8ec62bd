import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

export interface Credentials {
  authToken?: string
  signingKey?: string
  source: string
}

/**
 * Reads the parts of cachix.dhall this tool needs: `authToken = "…"` and the `secretKey` of the
 * `binaryCaches` entry named `cache` (the last one wins, as in cachix).
 */
export function parseCachixDhall(text: string, cache: string): { authToken?: string; signingKey?: string } {
  const token = /authToken\s*=\s*"([^"]*)"/.exec(text)?.[1]
  let signingKey: string | undefined
  for (const match of text.matchAll(/\{([^{}]*)\}/g)) {
    const name = /name\s*=\s*"([^"]*)"/.exec(match[1])?.[1]
    const secret = /secretKey\s*=\s*"([^"]*)"/.exec(match[1])?.[1]
    if (name === cache && secret) signingKey = secret
  }
  return { authToken: token === '' ? undefined : token, signingKey }
}

function cachixConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'cachix', 'cachix.dhall')
}

/** The environment first (CI, secrets managers), then the file `cachix authtoken` writes. */
export async function findCredentials(cache: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  const fromEnv = { authToken: env.CACHIX_AUTH_TOKEN || undefined, signingKey: env.CACHIX_SIGNING_KEY || undefined }
  if (fromEnv.authToken || fromEnv.signingKey) return { ...fromEnv, source: 'environment' }
  const path = cachixConfigPath(env)
  const text = await readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return { source: 'none' }
  return { ...parseCachixDhall(text, cache), source: path }
}
