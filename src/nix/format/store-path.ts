import { isNix32 } from './base32.js'

export const STORE_DIR = '/nix/store'
const HASH_LENGTH = 32

export interface StorePathParts {
  hash: string
  name: string
}

export function parseStorePath(path: string): StorePathParts {
  const prefix = `${STORE_DIR}/`
  if (!path.startsWith(prefix)) throw new Error(`"${path}" is not a store path: it must start with ${prefix}`)
  return parseBaseName(path.slice(prefix.length))
}

export function parseBaseName(baseName: string): StorePathParts {
  const hash = baseName.slice(0, HASH_LENGTH)
  const name = baseName.slice(HASH_LENGTH + 1)
  if (
    hash.length !== HASH_LENGTH ||
    !isNix32(hash) ||
    baseName[HASH_LENGTH] !== '-' ||
    name === '' ||
    name.includes('/')
  ) {
    throw new Error(`"${baseName}" is not a store path name of the form <32-char hash>-<name>`)
  }
  return { hash, name }
}

export function baseName(path: string): string {
  parseStorePath(path)
  return path.slice(STORE_DIR.length + 1)
}

export function hashPart(path: string): string {
  return parseStorePath(path).hash
}

export function fullPath(name: string): string {
  return name.startsWith('/') ? name : `${STORE_DIR}/${name}`
}
