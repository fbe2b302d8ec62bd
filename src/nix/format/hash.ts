import { decodeNix32, encodeNix32, isNix32, nix32Length } from './base32.js'

const SHA256_BYTES = 32

/** Reads every sha256 form Nix prints or accepts: `sha256:<nix32|hex|base64>`, SRI `sha256-<base64>`. */
export function parseSha256(text: string): Buffer {
  const trimmed = text.trim()
  let body: string
  if (trimmed.startsWith('sha256:')) body = trimmed.slice(7)
  else if (trimmed.startsWith('sha256-')) return fromBase64(trimmed.slice(7), trimmed)
  else body = trimmed
  if (body.length === 64 && /^[0-9a-fA-F]+$/.test(body)) return Buffer.from(body, 'hex')
  if (body.length === nix32Length(SHA256_BYTES) && isNix32(body)) return decodeNix32(body, SHA256_BYTES)
  if (body.length === 44) return fromBase64(body, trimmed)
  throw new Error(`"${text}" is not a sha256 hash in any form Nix uses (hex, nix32, base64 or SRI)`)
}

function fromBase64(body: string, original: string): Buffer {
  const bytes = Buffer.from(body, 'base64')
  if (bytes.length !== SHA256_BYTES || bytes.toString('base64') !== body) {
    throw new Error(`"${original}" is not a sha256 hash: its base64 part does not decode to 32 bytes`)
  }
  return bytes
}

/** The narinfo / fingerprint form: `sha256:<nix32>`. */
export function toNixHash(digest: Uint8Array): string {
  return `sha256:${encodeNix32(digest)}`
}

/** Any accepted form, normalised to `sha256:<nix32>`. */
export function normaliseNixHash(text: string): string {
  return toNixHash(parseSha256(text))
}
