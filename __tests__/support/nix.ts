import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from '@jest/globals'
import { runCommand } from '../../src/util/process.js'
import { realiseInFreshStore } from '../../harness/fresh-store.js'

/** Options every test build takes: no network, nothing substituted, a hook only when asked. */
export const OFFLINE = ['--option', 'substituters', '', '--option', 'narinfo-cache-negative-ttl', '0']

export { nonce } from '../../harness/sample-flake.js'

/**
 * A closure with shared and chained references: base ← lib ← app, base ← app, plus a
 * file of `bigBytes` pseudo-random bytes in lib so some NARs span several parts.
 */
export function chainExpression(tag: string, bigBytes = 0): string {
  return `let
    mk = name: script: attrs: derivation ({ inherit name; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" script ]; } // attrs);
    base = mk "base-${tag}" "echo base ${tag} > $out" {};
    lib = mk "lib-${tag}" "mkdir -p $out/lib; echo $base > $out/lib/base-ref; ln -s $base $out/lib/base; head -c ${bigBytes} /dev/urandom > $out/lib/blob; printf '#!/bin/sh\\necho hi\\n' > $out/lib/run; chmod +x $out/lib/run" { inherit base; };
    app = mk "app-${tag}" "mkdir -p $out/bin; echo $lib $base > $out/bin/refs" { inherit lib base; };
  in { inherit base lib app; }`
}

export async function nixBuild(expression: string, attr?: string, extraArgs: string[] = []): Promise<string[]> {
  const args = ['--no-out-link', ...OFFLINE, ...extraArgs, '-E', expression]
  if (attr) args.push('-A', attr)
  const { stdout } = await runCommand('nix-build', args)
  return stdout.split('\n').filter(l => l.startsWith('/nix/store/'))
}

/** The closure of `paths` in this machine's store, or in the store at `store` (a fresh one). */
export async function closureOf(paths: string[], store?: string): Promise<string[]> {
  const where = store === undefined ? [] : ['--store', store]
  const { stdout } = await runCommand('nix-store', [...where, '--query', '--requisites', ...paths])
  return stdout.split('\n').filter(l => l !== '')
}

export { realiseInFreshStore }

/** sha256 of `nix-store --dump` of a path, read from the given store root ('' for /nix). */
export async function narHashIn(storeRoot: string, path: string): Promise<string> {
  const args = storeRoot === '' ? ['--query', '--hash', path] : ['--store', storeRoot, '--query', '--hash', path]
  return (await runCommand('nix-store', args)).stdout.trim()
}

export async function readStoreFile(storeRoot: string, path: string): Promise<string> {
  return readFile(join(storeRoot, path), 'utf8')
}

/**
 * Real Nix substitutes `path` from the cache into a fresh store, checking its signature and
 * NAR hash, and gets the very NAR this machine's store holds.
 */
export async function expectSubstitutedWhole(
  server: { cacheUrl(name: string): string; publicKeys(name: string): string[] },
  cache: string,
  path: string
): Promise<void> {
  const fresh = await realiseInFreshStore(server.cacheUrl(cache), server.publicKeys(cache), [path])
  expect(fresh.result.code).toBe(0)
  expect(await narHashIn(fresh.store, path)).toBe(await narHashIn('', path))
}
