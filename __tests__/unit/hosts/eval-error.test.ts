import { describe, expect, it } from '@jest/globals'
import { errorExcerpt } from '../../../src/hosts/eval-error.js'

describe('the planner, one evaluation per host', () => {
  it.each([
    [
      'warning: Git tree is dirty\nerror: host b does not evaluate: fixture says so\n',
      'error: host b does not evaluate: fixture says so'
    ],
    // Newer Nix: the trace first, the message last; the excerpt leads with the message.
    [
      'error:\n       … while evaluating the attribute\n\n       at /nix/store/x/flake.nix:3:5:\n\n       error: boom\n',
      'error: boom\n       … while evaluating the attribute\n       at /nix/store/x/flake.nix:3:5:'
    ],
    [
      "error:\n       … while calling the 'throw' builtin\n         at /nix/store/x/flake.nix:25:51:\n           24|   a\n           25|   b\n             |   ^\n           26|   c\n\n       error: host d does not evaluate: fixture says so\n",
      "error: host d does not evaluate: fixture says so\n       … while calling the 'throw' builtin\n         at /nix/store/x/flake.nix:25:51:\n           24|   a\n           25|   b\n             |   ^\n… (1 more lines)"
    ],
    ['error: 1\n2\n3\n4\n5\n6\n7\n8\n', 'error: 1\n2\n3\n4\n5\n6\n… (2 more lines)'],
    ['', 'nix eval failed without an error message']
  ])('shows the message and the first lines of the error of %j', (stderr, excerpt) => {
    expect(errorExcerpt(stderr)).toBe(excerpt)
  })
})
