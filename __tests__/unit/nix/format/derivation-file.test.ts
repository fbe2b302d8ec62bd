import { describe, expect, it } from '@jest/globals'
import { derivationFileOutputMap } from '../../../../src/nix/format/derivation-file.js'

const A = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a'

const B = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b'

const C = '/nix/store/cccccccccccccccccccccccccccccccc-c'

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
    const named = derivationFileOutputMap(text)
    expect(named === undefined ? undefined : [...named.values()]).toEqual(outputs)
  })
})
