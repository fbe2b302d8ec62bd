import { describe, expect, it } from '@jest/globals'
import { normaliseNixHash, parseSha256 } from '../../../../src/nix/format/hash.js'
import { NAR_VECTORS } from '../../../support/nar-vectors.js'

describe('sha256 forms', () => {
  const [first] = NAR_VECTORS
  it.each([
    first.sri ?? '',
    `sha256:${first.hex}`,
    first.nix32,
    first.hex,
    `sha256:${Buffer.from(first.hex, 'hex').toString('base64')}`
  ])('reads %s', form => {
    expect(Buffer.from(parseSha256(form)).toString('hex')).toBe(first.hex)
    expect(normaliseNixHash(form)).toBe(first.nix32)
  })

  it("reads the digest SRI (path-info's form) encodes", () => {
    expect(`sha256-${Buffer.from(parseSha256(first.nix32)).toString('base64')}`).toBe(NAR_VECTORS[0].sri)
  })

  it.each(['sha256:xyz', 'md5:abc', 'sha256-AAAA', ''])('rejects %j with a message naming it', bad => {
    expect(() => parseSha256(bad)).toThrow(/sha256/)
  })
})
