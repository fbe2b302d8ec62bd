import { describe, expect, it } from '@jest/globals'
import { decodeNix32, encodeNix32 } from '../../src/nix/format/base32.js'
import { normaliseNixHash, parseSha256, toNixHash } from '../../src/nix/format/hash.js'

// Vectors printed by Nix 2.8 for one NAR: `nix path-info --json` (SRI), `nix-store --dump-db` (hex),
// the narinfo written by `nix copy` (nix32).
const NAR_VECTORS = [
  {
    sri: 'sha256-aKOtagcT/ov4aCYbG1C9gizL4063xGsGpBJGGXMHpd0=',
    hex: '68a3ad6a0713fe8bf868261b1b50bd822ccbe34eb7c46b06a41246197307a5dd',
    nix32: 'sha256:1pd50xrijihjlh36pi5p9viwnb42pm81n6r6d3w8pzhk0xmav8v8'
  },
  // nix-tech.md §1.3 test vectors (nix-store --dump of small trees)
  {
    hex: '1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13',
    nix32: 'sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw'
  },
  {
    hex: 'f4eee63bed5373ccc286d8d15ec5fb0ab27e123dfabd4593272424e2bb6e7ec4',
    nix32: 'sha256:1i3ydsxy49144y9lbggs7l97xchazg2mxlfqhv1cqwskxlxydvpl'
  },
  {
    hex: 'a50a5ab6d992f5598edd92105059fae9acfc192981e08bd88534c2167e92526a',
    nix32: 'sha256:0sjjj9z1dhilhpc8pq4154czrb79z9cm044jvn75kxcjv6v5l2m5'
  }
]

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
