import { describe, expect, it } from '@jest/globals'
import { fingerprint, parseNarInfo, renderNarInfo } from '../../../../src/nix/format/narinfo.js'
import { DEP_NARINFO, narInfoFingerprint, TOP_NARINFO } from '../../../support/narinfos.js'

describe('narinfo', () => {
  it.each([TOP_NARINFO, DEP_NARINFO])('round-trips a narinfo written by nix copy byte for byte', text => {
    expect(renderNarInfo(parseNarInfo(text))).toBe(text)
  })

  it('computes the fingerprint Nix signs', () => {
    const info = parseNarInfo(TOP_NARINFO)
    expect(narInfoFingerprint(info)).toBe(
      '1;/nix/store/wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5-vec-top;sha256:1pd50xrijihjlh36pi5p9viwnb42pm81n6r6d3w8pzhk0xmav8v8;168;/nix/store/nmip89c6ln7r0znmly2irxkdrzy55an1-vec-dep'
    )
  })

  it('ends the fingerprint with ";" when there are no references', () => {
    expect(narInfoFingerprint(parseNarInfo(DEP_NARINFO)).endsWith(';128;')).toBe(true)
  })

  it('sorts references and accepts any hash form in the fingerprint', () => {
    const fp = fingerprint(
      '/nix/store/wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5-vec-top',
      'sha256-aKOtagcT/ov4aCYbG1C9gizL4063xGsGpBJGGXMHpd0=',
      168,
      ['zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-b', '/nix/store/00000000000000000000000000000000-a']
    )
    expect(
      fp.endsWith(';168;/nix/store/00000000000000000000000000000000-a,/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-b')
    ).toBe(true)
  })

  it.each([
    ['no StorePath', TOP_NARINFO.replace(/^StorePath.*\n/, ''), /StorePath/],
    ['NarSize 0', TOP_NARINFO.replace('NarSize: 168', 'NarSize: 0'), /NarSize/],
    ['a line without ": "', TOP_NARINFO.replace('NarSize: 168', 'NarSize:168'), /Key: value/],
    ['a second References line', `${TOP_NARINFO}References: x\n`, /second References/]
  ])('rejects a narinfo with %s', (_why, text, message) => {
    expect(() => parseNarInfo(text)).toThrow(message)
  })
})
