import { describe, expect, it } from '@jest/globals'
import { parseCommand } from '../../../src/cli/args.js'

describe('command line', () => {
  it.each([
    [['push', '--cache', 'fleet', '/nix/store/a'], { kind: 'push', paths: ['/nix/store/a'] }],
    [
      ['build', '--cache', 'fleet', '--host', 'a', '--host', 'b'],
      { kind: 'build', hosts: ['a', 'b'], installables: [] }
    ],
    [
      ['check', '--cache', 'fleet', '--flake', '/etc/nixos', 'laptop'],
      { kind: 'check', host: 'laptop', common: expect.objectContaining({ flake: '/etc/nixos' }) }
    ],
    [['--help'], { kind: 'help' }],
    [[], { kind: 'help' }]
  ])('%j', (argv, expected) => {
    expect(parseCommand(argv)).toMatchObject(expected)
  })
  it.each([
    [['deploy', '--cache', 'x'], /unknown command "deploy"/],
    [['push', '/nix/store/a'], /push needs --cache NAME/],
    [['push', '--cache', 'Bad Name'], /--cache "Bad Name" is not a Cachix cache name/],
    [['build', '--cache', 'fleet'], /build needs --host NAME or an installable/],
    [['check', '--cache', 'fleet'], /check takes exactly one host name/],
    [['push', '--cache', 'fleet', '--jobs', '0'], /--jobs "0" is not a positive whole number/],
    [['push', '--cache', 'fleet', '--push-filter', '('], /--push-filter "\(" is not a valid regular expression/],
    [['push', '--cache', 'fleet', '--compression', 'lz4'], /--compression "lz4" is not zstd or xz/]
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(message)
  })
})

describe('inputs that name hosts of every kind', () => {
  it('the CLI checks a host reference before it evaluates anything', () => {
    expect(parseCommand(['check', '--cache', 'c', 'home:alice@nas'])).toMatchObject({
      kind: 'check',
      host: 'home:alice@nas'
    })
    expect(() => parseCommand(['check', '--cache', 'c', 'mac:book'])).toThrow('host "mac:book" has the prefix mac:')
    expect(() => parseCommand(['build', '--cache', 'c', '--host', 'bad!'])).toThrow('host "bad!" is not a host name')
  })
})

describe('the CLI diff command', () => {
  it.each([
    [['diff', '--cache', 'fleet', 'laptop'], { kind: 'diff', host: 'laptop', base: undefined, json: false }],
    [
      ['diff', '--cache', 'fleet', 'laptop', '--base', 'origin/main', '--json'],
      { kind: 'diff', host: 'laptop', base: 'origin/main', json: true }
    ]
  ])('%j', (argv, expected) => expect(parseCommand(argv)).toMatchObject(expected))

  it.each([
    [['diff', '--cache', 'fleet'], /diff takes exactly one host name/],
    [['diff', 'laptop'], /diff needs --cache NAME/],
    [['diff', '--cache', 'fleet', 'laptop', '--base=--exec=x'], /--base "--exec=x" is not a git revision/]
  ])('%j is refused', (argv, message) => expect(() => parseCommand(argv)).toThrow(message))
})
