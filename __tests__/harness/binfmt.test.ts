import { describe, expect, it } from '@jest/globals'
import { parseBinfmtEntry, registrationLine } from '../../src/machine/binfmt.js'
import { registerLineOf } from '../../harness/hosted/binfmt.js'

describe('the harness restores a saved entry exactly as registered', () => {
  it('its register line is the one the action writes', () => {
    const text =
      'enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: F\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n'
    expect(registerLineOf(parseBinfmtEntry('qemu-aarch64', text)!)).toBe(
      registrationLine('/usr/bin/qemu-aarch64-static')
    )
  })
})
