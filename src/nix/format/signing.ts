import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'

// PKCS#8 / SPKI DER prefixes for a raw 32-byte ed25519 key; node:crypto only takes wrapped keys.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export interface SigningKey {
  /** Present for Nix-format keys (`name:base64`); Cachix keys carry no name. */
  name?: string
  seed: Buffer
  publicKey: Buffer
  privateKey: KeyObject
}

export function keyFromSeed(seed: Buffer, name?: string): SigningKey {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  return { name, seed, publicKey: Buffer.from(spki.subarray(SPKI_PREFIX.length)), privateKey }
}

/**
 * Accepts both key formats users have: Cachix's CACHIX_SIGNING_KEY (base64 of the 64-byte
 * libsodium secret key, seed then public key) and Nix's secret key file (`name:base64`).
 */
export function parseSigningKey(text: string): SigningKey {
  const trimmed = text.trim()
  if (trimmed === '')
    throw new Error('the signing key is empty: pass the base64 Cachix key or a Nix "name:base64" secret key')
  const colon = trimmed.indexOf(':')
  const name = colon >= 0 ? trimmed.slice(0, colon) : undefined
  const body = colon >= 0 ? trimmed.slice(colon + 1) : trimmed
  if (name === '') throw new Error('the signing key starts with ":": a Nix secret key has the form "name:base64"')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new Error(
      'the signing key is not base64: pass the Cachix key (base64 of 64 bytes) or a Nix "name:base64" secret key'
    )
  }
  const bytes = Buffer.from(body, 'base64')
  if (bytes.length !== 64) {
    throw new Error(
      `the signing key decodes to ${bytes.length} bytes, expected 64 (an ed25519 secret key); is it the public key?`
    )
  }
  const key = keyFromSeed(bytes.subarray(0, 32), name)
  if (!key.publicKey.equals(bytes.subarray(32))) {
    throw new Error('the signing key is corrupt: its second half is not the public key of its first half')
  }
  return key
}

/** base64 of the 64-byte detached signature, with no key name (Cachix's cSig). */
export function signFingerprint(key: SigningKey, fingerprintText: string): string {
  return sign(null, Buffer.from(fingerprintText, 'utf8'), key.privateKey).toString('base64')
}

export function verifyFingerprint(publicKey: Buffer, fingerprintText: string, signatureBase64: string): boolean {
  const keyObject = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })
  const signature = Buffer.from(signatureBase64, 'base64')
  if (signature.length !== 64) return false
  return verify(null, Buffer.from(fingerprintText, 'utf8'), keyObject, signature)
}

/** `name:base64(publicKey)`, the form `trusted-public-keys` takes. */
export function publicKeyString(name: string, publicKey: Buffer): string {
  return `${name}:${publicKey.toString('base64')}`
}
