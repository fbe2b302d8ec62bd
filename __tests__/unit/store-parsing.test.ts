import { describe, expect, it } from '@jest/globals'
import { derivationFileOutputs } from '../../src/nix/format/derivation-file.js'
import { dependenciesFirst, type PathInfo } from '../../src/nix/format/path-info.js'

const A = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a'
const B = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b'
const C = '/nix/store/cccccccccccccccccccccccccccccccc-c'
const D = '/nix/store/dddddddddddddddddddddddddddddddd-d'

describe('outputs named by a .drv file', () => {
  it.each([
    [`Derive([("out","${A}","","")],[],[],"x86_64-linux","/bin/sh",["-c","echo"],[("out","${A}")])`, [A]],
    [
      `Derive([("dev","${B}","",""),("out","${A}","","")],[("${C}.drv",["out"])],[],"x86_64-linux","/bin/sh",[],[])`,
      [B, A]
    ],
    // A fixed-output derivation names its path and its hash.
    [`Derive([("out","${A}","r:sha256","0123")],[],[],"builtin","builtin:fetchurl",[],[])`, [A]],
    // Content-addressed: no path until it is built; Nix is asked instead.
    [`Derive([("out","","r:sha256","")],[],[],"x86_64-linux","/bin/sh",[],[])`, undefined],
    ['DrvWithVersion("xp-dyn-drv",[("out","")])', undefined],
    ['not a derivation', undefined],
    [`Derive([("out","/tmp/x","","")],[],[],"x86_64-linux","/bin/sh",[],[])`, undefined]
  ])('%s → %j', (text, outputs) => {
    expect(derivationFileOutputs(text)).toEqual(outputs)
  })
})

describe('dependencies first', () => {
  const info = (path: string, references: string[]): PathInfo => ({ path, narHash: 'sha256:x', narSize: 1, references })
  it.each([
    ['a chain', [info(A, [B]), info(B, [C]), info(C, [])], [C, B, A]],
    ['a diamond with self-references', [info(D, [D, B, C]), info(B, [A, B]), info(C, [A]), info(A, [])], [A, B, C, D]],
    ['references outside the set are skipped', [info(A, [D]), info(B, [A])], [A, B]]
  ])('%s', (_what, infos, order) => {
    const sorted = dependenciesFirst(infos).map(i => i.path)
    expect(sorted).toEqual(order)
    for (const item of infos)
      for (const reference of item.references)
        if (sorted.includes(reference)) expect(sorted.indexOf(reference)).toBeLessThanOrEqual(sorted.indexOf(item.path))
  })

  it('a chain of 20,000 paths does not exhaust the stack', () => {
    const paths = Array.from({ length: 20_000 }, (_, i) => `/nix/store/${String(i).padStart(32, '0')}-p`)
    const infos = paths.map((path, i) => info(path, i > 0 ? [paths[i - 1]] : []))
    expect(dependenciesFirst([...infos].reverse()).map(i => i.path)).toEqual(paths)
  })
})
