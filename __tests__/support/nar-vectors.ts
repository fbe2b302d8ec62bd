// Vectors printed by Nix 2.8 for one NAR: `nix path-info --json` (SRI), `nix-store --dump-db` (hex),
// the narinfo written by `nix copy` (nix32).
export const NAR_VECTORS = [
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
