import { describe, expect, it } from '@jest/globals'
import { parseNarInfo } from '../../../../src/nix/format/narinfo.js'
import { DEP_NARINFO, narInfoFingerprint, PUBLIC_KEY, SECRET_KEY, TOP_NARINFO } from '../../../support/narinfos.js'
import {
  parseSigningKey,
  publicKeyString,
  signFingerprint,
  verifyFingerprint
} from '../../../../src/nix/format/signing.js'

describe('signing', () => {
  it('reproduces the signatures Nix wrote, from the Nix key file', () => {
    const key = parseSigningKey(SECRET_KEY)
    expect(key.name).toBe('test-key-1')
    for (const text of [TOP_NARINFO, DEP_NARINFO]) {
      const info = parseNarInfo(text)
      expect(`test-key-1:${signFingerprint(key, narInfoFingerprint(info))}`).toBe(info.sigs[0])
    }
    expect(publicKeyString('test-key-1', key.publicKey)).toBe(PUBLIC_KEY)
  })

  it('reads the Cachix form (base64 of the 64 bytes, no name) as the same key', () => {
    const cachixForm = SECRET_KEY.slice('test-key-1:'.length)
    const key = parseSigningKey(`  ${cachixForm}\n`)
    expect(key.name).toBeUndefined()
    expect(publicKeyString('x', key.publicKey)).toBe(`x:${PUBLIC_KEY.split(':')[1]}`)
  })

  it('verifies Nix signatures with the public key and refuses a changed fingerprint', () => {
    const key = Buffer.from(PUBLIC_KEY.slice(PUBLIC_KEY.indexOf(':') + 1), 'base64')
    const info = parseNarInfo(TOP_NARINFO)
    const sig = info.sigs[0].split(':')[1]
    expect(verifyFingerprint(key, narInfoFingerprint(info), sig)).toBe(true)
    expect(verifyFingerprint(key, narInfoFingerprint({ ...info, narSize: 169 }), sig)).toBe(false)
  })

  it.each([
    ['empty', '', /empty/],
    ['the public key instead of the secret one', PUBLIC_KEY, /32 bytes, expected 64/],
    ['not base64', 'name:not base64!', /not base64/],
    ['a name but no body', 'name:', /not base64/],
    ['a body whose halves do not match', `k:${Buffer.alloc(64, 7).toString('base64')}`, /corrupt/],
    ['a leading colon', `:${SECRET_KEY.split(':')[1]}`, /name:base64/]
  ])('rejects a key that is %s with a message', (_why, text, message) => {
    expect(() => parseSigningKey(text)).toThrow(message)
  })
})
