import { describe, expect, it } from '@jest/globals'
import { decodeNix32, encodeNix32 } from '../../../../src/nix/format/base32.js'
import { toNixHash } from '../../../../src/nix/format/hash.js'
import { NAR_VECTORS } from '../../../support/nar-vectors.js'

describe('nix32', () => {
  it.each(NAR_VECTORS)('encodes $hex as Nix does', ({ hex, nix32 }) => {
    expect(toNixHash(Buffer.from(hex, 'hex'))).toBe(nix32)
    expect(decodeNix32(nix32.slice(7), 32).toString('hex')).toBe(hex)
  })

  it('encodes a 20-byte store path hash in 32 characters', () => {
    const bytes = Buffer.from('00112233445566778899aabbccddeeff00112233', 'hex')
    const text = encodeNix32(bytes)
    expect(text).toHaveLength(32)
    expect(decodeNix32(text, 20).equals(bytes)).toBe(true)
  })

  it.each([
    ['a character outside the alphabet', 'e'.repeat(52)],
    ['the wrong length', '0'.repeat(51)],
    ['a carry past the last byte', 'z' + '0'.repeat(51)]
  ])('rejects %s', (_why, text) => {
    expect(() => decodeNix32(text, 32)).toThrow(/nix32/)
  })
})
