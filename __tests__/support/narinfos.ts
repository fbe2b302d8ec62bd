import { fingerprint, type NarInfo } from '../../src/nix/format/narinfo.js'

// Written by Nix 2.8: `nix-store --generate-binary-cache-key test-key-1 sk pk`, then
// `nix copy --to 'file:///tmp/c?compression=zstd&secret-key=sk'` of a two-path closure.
export const SECRET_KEY =
  'test-key-1:jUua1BnbwkuYOCMcOlm6iVv75khKv7gbpHrTk5xDVyTHhj8JgzHv+UG7CO/gRuMvSq7K+HCTBrlmDQzAyiFg4g=='

export const PUBLIC_KEY = 'test-key-1:x4Y/CYMx7/lBuwjv4EbjL0quyvhwkwa5Zg0MwMohYOI='

export const TOP_NARINFO = `StorePath: /nix/store/wy8dr5srcqyzh9fsn7wddzqvvxa4nsl5-vec-top
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

export const DEP_NARINFO = `StorePath: /nix/store/nmip89c6ln7r0znmly2irxkdrzy55an1-vec-dep
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

/** What Nix signs for a narinfo. */
export const narInfoFingerprint = (info: NarInfo): string =>
  fingerprint(info.storePath, info.narHash, info.narSize, info.references)
