// Nix's own base32: a 32-letter alphabet without e, o, u, t, written from the last
// 5-bit group to the first. It is not RFC 4648 and cannot be swapped for it.
const ALPHABET = '0123456789abcdfghijklmnpqrsvwxyz'

export function nix32Length(byteLength: number): number {
  return Math.floor((byteLength * 8 - 1) / 5) + 1
}

export function encodeNix32(bytes: Uint8Array): string {
  const length = nix32Length(bytes.length)
  let out = ''
  for (let n = length - 1; n >= 0; n--) {
    const bit = n * 5
    const i = bit >> 3
    const j = bit & 7
    const low = bytes[i] >> j
    const high = i + 1 < bytes.length ? bytes[i + 1] << (8 - j) : 0
    out += ALPHABET[(low | high) & 0x1f]
  }
  return out
}

export function decodeNix32(text: string, byteLength: number): Buffer {
  if (text.length !== nix32Length(byteLength)) {
    throw new Error(`nix32 string "${text}" has ${text.length} characters, expected ${nix32Length(byteLength)}`)
  }
  const bytes = Buffer.alloc(byteLength)
  for (let n = 0; n < text.length; n++) {
    const digit = ALPHABET.indexOf(text[text.length - 1 - n])
    if (digit < 0) throw new Error(`"${text}" is not nix32: bad character "${text[text.length - 1 - n]}"`)
    const bit = n * 5
    const i = bit >> 3
    const j = bit & 7
    bytes[i] |= (digit << j) & 0xff
    const carry = digit >> (8 - j)
    if (i + 1 < byteLength) bytes[i + 1] |= carry
    else if (carry !== 0) throw new Error(`"${text}" is not nix32: it overflows ${byteLength} bytes`)
  }
  return bytes
}

export function isNix32(text: string): boolean {
  return /^[0-9abcdfghijklmnpqrsvwxyz]+$/.test(text)
}
