// Why a remote builder cannot be used, from what `nix store ping` and the ssh it started printed:
// one line that names the builder and the cause, whatever the Nix and OpenSSH versions say around it.
import { builderAddress, type Builder } from './remote-builders.js'

type Cause = 'host-key' | 'key' | 'unreachable' | 'no-nix'

const CAUSES: [Cause, RegExp][] = [
  ['host-key', /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key for .* has changed/i],
  ['key', /Permission denied \(|Too many authentication failures|Load key .*: (?:invalid format|Permission denied)/],
  [
    'unreachable',
    /Connection refused|Connection timed out|Operation timed out|No route to host|Network is unreachable|Could not resolve hostname|Name or service not known|Temporary failure in name resolution|Connection reset|Connection closed by/i
  ],
  ['no-nix', /(?:nix-daemon|nix-store)\S*: (?:command )?not found|No such file or directory.*nix-(?:daemon|store)/]
]

const CAUSE_TEXT: Record<Cause, string> = {
  'host-key': 'its host key is not the one pinned for it (builder-host-keys or field 8)',
  key: "it refused the ssh key (builder-ssh-key or field 3): is the key's public half in the builder user's authorized_keys?",
  unreachable: 'it cannot be reached',
  'no-nix': "ssh works, but the builder has no nix-daemon (nix-store for ssh://) on a non-interactive shell's PATH"
}

// Lines of `nix store ping` that say nothing about why it failed.
const NOISE =
  /^(?:Store URL:|warning: 'ping' is a deprecated|error: (?:failed to start SSH connection|cannot open connection to remote store|cannot connect to)|\s*$)/

/** One line: which builder, and why it cannot be used, from what `nix store ping` (ssh) printed. */
export function builderFailure(builder: Builder, output: string): string {
  const lines = output.split('\n').map(l => l.trim())
  for (const [cause, pattern] of CAUSES) {
    // The last: ssh ends a banner about a changed host key with "Host key verification failed."
    const line = [...lines].reverse().find(l => pattern.test(l))
    if (line !== undefined) return `builder ${builderAddress(builder)}: ${CAUSE_TEXT[cause]} (${line})`
  }
  const last = [...lines].reverse().find(l => !NOISE.test(l)) ?? lines.filter(l => l !== '').pop() ?? 'no output'
  return `builder ${builderAddress(builder)}: it does not answer as a Nix store (${last})`
}
