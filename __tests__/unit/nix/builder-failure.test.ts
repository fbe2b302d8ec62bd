import { describe, expect, it } from '@jest/globals'
import { builderFailure } from '../../../src/nix/builder-failure.js'
import { parseBuilders } from '../../../src/nix/remote-builders.js'

describe('ports, systems and the connection check', () => {
  const [builder] = parseBuilders('ssh-ng://root@127.0.0.1:2222')
  it.each([
    [
      'Host key verification failed.',
      'its host key is not the one pinned for it (builder-host-keys or field 8) (Host key verification failed.)'
    ],
    [
      'root@127.0.0.1: Permission denied (publickey).',
      "it refused the ssh key (builder-ssh-key or field 3): is the key's public half in the builder user's authorized_keys? (root@127.0.0.1: Permission denied (publickey).)"
    ],
    [
      'ssh: connect to host 127.0.0.1 port 2222: Connection refused',
      'it cannot be reached (ssh: connect to host 127.0.0.1 port 2222: Connection refused)'
    ],
    [
      'ssh: Could not resolve hostname arm.example: Name or service not known',
      'it cannot be reached (ssh: Could not resolve hostname arm.example: Name or service not known)'
    ],
    [
      'sh: 1: exec: nix-daemon: not found',
      "ssh works, but the builder has no nix-daemon (nix-store for ssh://) on a non-interactive shell's PATH (sh: 1: exec: nix-daemon: not found)"
    ],
    ['error: protocol mismatch', 'it does not answer as a Nix store (error: protocol mismatch)']
  ])('%j is one line naming the builder and the cause', (ssh, cause) => {
    const output = `warning: 'ping' is a deprecated alias for 'info'\nStore URL: ssh-ng://root@127.0.0.1:2222?ssh-key=/k\n${ssh}\nerror: failed to start SSH connection to '127.0.0.1'\n`
    expect(builderFailure(builder, output)).toBe(`builder ssh-ng://root@127.0.0.1:2222: ${cause}`)
  })
})
