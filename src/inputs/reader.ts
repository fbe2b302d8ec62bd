import { forgetSecretEnv } from '../util/process.js'
import { fail, hasControl } from './checks.js'
import { sshKeySecretLines } from './ssh-key.js'

/** One input's raw text: core.getInput in a front end, a table in tests. */
export type InputReader = (name: string) => string

/** The inputs that hold a secret, in every front end: masked before anything can log them, never echoed. */
const SECRET_INPUTS = new Set(['cachix-auth-token', 'cachix-signing-key', 'github-token', 'notify-url'])
/** The private key, masked line by line (the runner masks a secret per line), and checked as several lines. */
const SSH_KEY_INPUT = 'builder-ssh-key'

// Lists and text of several lines: tabs and line breaks are theirs to hold.
const MULTI_LINE = new Set([
  'hosts',
  'attributes',
  'extra-pull-caches',
  'extra-nix-config',
  'extra-args',
  'builders',
  'builder-host-keys',
  'builder-systems',
  // The report's toJSON(needs), pretty-printed.
  'needs',
  SSH_KEY_INPUT
])

/**
 * `read`, refusing characters that could end a line in a file an input is written to: nix.conf,
 * secrets.conf, netrc and the binfmt register are read line by line, so a line break in a value
 * would add a setting of its own (a post-build-hook runs as root). Never echoes the value.
 */
export function checkedReader(read: InputReader): InputReader {
  return name => {
    const value = read(name)
    const trimmed = value.trim()
    if (SECRET_INPUTS.has(name)) {
      if (/\s/.test(trimmed) || hasControl(trimmed))
        fail(
          name,
          'contains white space or a control character: paste the secret alone, without a prefix or line breaks'
        )
    } else if (MULTI_LINE.has(name)) {
      if (hasControl(value, '\t\n\r')) fail(name, 'contains a control character: type it as plain text')
    } else if (hasControl(trimmed))
      fail(name, 'contains a line break or another control character: give it on one line')
    return value
  }
}

/**
 * A front end's inputs: the secrets masked first, then `parse` (which checks everything before
 * anything runs). Once read, the INPUT_* variables leave this process's environment, so no
 * child inherits the secrets.
 */
export function readInputs<T>(
  parse: (read: InputReader) => T,
  getInput: InputReader,
  setSecret: (value: string) => void
): T {
  for (const name of SECRET_INPUTS) {
    const value = getInput(name).trim()
    if (value === '') continue
    setSecret(value)
    // A Nix-format key is also masked without its name, in case a tool prints only the body.
    if (value.includes(':')) setSecret(value.slice(value.indexOf(':') + 1))
  }
  for (const line of sshKeySecretLines(getInput(SSH_KEY_INPUT))) setSecret(line.trim())
  try {
    return parse(getInput)
  } finally {
    forgetSecretEnv()
  }
}
