import { createHash } from 'node:crypto'
import { encodeNix32 } from '../../src/nix/format/base32.js'

/** A valid store path whose hash follows from `seed`, so two seeds give two builds of one name. */
export function storePath(name: string, seed = 'a'): string {
  return `/nix/store/${encodeNix32(createHash('sha1').update(`${seed}/${name}`).digest())}-${name}`
}
