import { describe, expect, it } from '@jest/globals'
import { fingerprint, parseNarInfo, renderNarInfo, type NarInfo } from '../../src/nix/format/narinfo.js'
import { parsePathInfoJson } from '../../src/nix/format/path-info.js'
import { parseSigningKey, publicKeyString, signFingerprint, verifyFingerprint } from '../../src/nix/format/signing.js'
import { parseStorePath } from '../../src/nix/format/store-path.js'

/** What Nix signs for a narinfo. */
const narInfoFingerprint = (info: NarInfo): string =>
  fingerprint(info.storePath, info.narHash, info.narSize, info.references)

// Written by Nix 2.8: `nix-store --generate-binary-cache-key test-key-1 sk pk`, then
// `nix copy --to 'file:///tmp/c?compression=zstd&secret-key=sk'` of a two-path closure.
const SECRET_KEY = 'test-key-1:jUua1BnbwkuYOCMcOlm6iVv75khKv7gbpHrTk5xDVyTHhj8JgzHv+UG7CO/gRuMvSq7K+HCTBrlmDQzAyiFg4g=='
const PUBLIC_KEY = 'test-key-1:x4Y/CYMx7/lBuwjv4EbjL0quyvhwkwa5Zg0MwMohYOI='
const TOP_NARINFO = `StorePath: /nix/store/wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5-vec-top
URL: nar/06sxjwcca97grjaamzzq3adry90a72n90mghbvkndbmakn8vq88g.nar.zst
Compression: zstd
FileHash: sha256:06sxjwcca97grjaamzzq3adry90a72n90mghbvkndbmakn8vq88g
FileSize: 132
NarHash: sha256:1pd50xrijihjlh36pi5p9viwnb42pm81n6r6d3w8pzhk0xmav8v8
NarSize: 168
References: nmip89c6ln7r0znmly2irxkdrzy55an1-vec-dep
Deriver: f3vfxxqvi320iyq7hbzmalg1kn74ixnp-vec-top.drv
Sig: test-key-1:Jv2+WwiOZlgKPfQgNs5dNg1o88dyGKe2DOCjE91WjZ8yn/CbSoEHEb14xeBfVXeJyDG72JCkfWNJI9F1+Vk0Aw==
`
const DEP_NARINFO = `StorePath: /nix/store/nmip89c6ln7r0znmly2irxkdrzy55an1-vec-dep
URL: nar/024nswjwblzcqrmijby6aqndlybk7bzcww7dc136pwxfiwcgx4f6.nar.zst
Compression: zstd
FileHash: sha256:024nswjwblzcqrmijby6aqndlybk7bzcww7dc136pwxfiwcgx4f6
FileSize: 93
NarHash: sha256:0b7z4spx23gjy7j1jgx9833iy7xq847cfxn78kaip075fklbdcz7
NarSize: 128
References: 
Deriver: rb3qzw61ns7y8zh5rfbcqlgrkc2z8gh8-vec-dep.drv
Sig: test-key-1:hOVeghyy3Zw/CTPbUzBNyekkEjPG4UYYuPQl/M8sChLSWJS6JJA4B6SnebfUPhTNjVdmXPjO+HghNHoym5pyBA==
`

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

describe('path-info JSON across Nix versions', () => {
  const entry = {
    narHash: 'sha256-aKOtagcT/ov4aCYbG1C9gizL4063xGsGpBJGGXMHpd0=',
    narSize: 168,
    references: ['/nix/store/nmip89c6ln7r0znmly2irxkdrzy55an1-vec-dep'],
    deriver: '/nix/store/f3vfxxqvi320iyq7hbzmalg1kn74ixnp-vec-top.drv'
  }
  const path = '/nix/store/wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5-vec-top'
  const missing = '/nix/store/00000000000000000000000000000000-x'
  const expected = [
    {
      path,
      narHash: 'sha256:1pd50xrijihjlh36pi5p9viwnb42pm81n6r6d3w8pzhk0xmav8v8',
      narSize: 168,
      references: entry.references,
      deriver: entry.deriver
    }
  ]

  it.each([
    [
      '2.8 (array with path, valid:false for missing)',
      [
        { path, ...entry, registrationTime: 1, ultimate: true },
        { path: missing, valid: false }
      ]
    ],
    [
      '2.19–2.32 (object keyed by path, null for missing)',
      { [path]: { ...entry, ca: null, signatures: [], ultimate: true }, [missing]: null }
    ],
    [
      '2.33+ v1 (object with version and storeDir inside)',
      { [path]: { ...entry, version: 1, storeDir: '/nix/store', ca: null }, [missing]: null }
    ],
    [
      '2.33+ v2 (basenames under info)',
      {
        version: 2,
        storeDir: '/nix/store',
        info: {
          'wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5-vec-top': {
            ...entry,
            references: ['nmip89c6ln7r0znmly2irxkdrzy55an1-vec-dep'],
            deriver: 'f3vfxxqvi320iyq7hbzmalg1kn74ixnp-vec-top.drv'
          }
        }
      }
    ]
  ])('reads the %s shape', (_version, json) => {
    expect(parsePathInfoJson(json)).toEqual(expected)
  })

  it('treats a missing deriver as unknown', () => {
    const [info] = parsePathInfoJson({ [path]: { ...entry, deriver: null } })
    expect(info.deriver).toBeUndefined()
  })
})

describe('store paths', () => {
  it.each([
    '/nix/store/short-x',
    '/tmp/wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5-vec-top',
    '/nix/store/wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5',
    '/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x'
  ])('rejects %s', bad => {
    expect(() => parseStorePath(bad)).toThrow(/store path/)
  })
})
