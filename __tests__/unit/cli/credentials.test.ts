import { describe, expect, it } from '@jest/globals'
import { parseCachixDhall } from '../../../src/cli/credentials.js'

describe('cachix.dhall', () => {
  const dhall = `{ authToken = "tok-123"
, hostname = "https://cachix.org"
, binaryCaches =
  [ { name = "other", secretKey = "s1" }
  , { name = "fleet", secretKey = "s2" }
  ]
}`
  it('reads the token and the key of the named cache', () => {
    expect(parseCachixDhall(dhall, 'fleet')).toEqual({ authToken: 'tok-123', signingKey: 's2' })
    expect(parseCachixDhall(dhall, 'none')).toEqual({ authToken: 'tok-123', signingKey: undefined })
    expect(
      parseCachixDhall('{ authToken = "", binaryCaches = [] : List { name : Text, secretKey : Text } }', 'x')
    ).toEqual({ authToken: undefined, signingKey: undefined })
  })
})
