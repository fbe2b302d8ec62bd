import { InputError } from './checks.js'

// A PEM-style block: OpenSSH's own format, or the older PKCS#1/SEC1/PKCS#8 ones ssh also reads.
const BLOCK = /^-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----\n([\s\S]*?)\n-----END \1PRIVATE KEY-----$/
const OPENSSH_MAGIC = 'openssh-key-v1\0'

/** The cipher of an OpenSSH-format key ("none" when it has no passphrase), or undefined if the body is not one. */
function opensshCipher(body: string): string | undefined {
  const bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64')
  if (bytes.subarray(0, OPENSSH_MAGIC.length).toString('latin1') !== OPENSSH_MAGIC) return undefined
  const at = OPENSSH_MAGIC.length
  if (bytes.length < at + 4) return undefined
  const length = bytes.readUInt32BE(at)
  if (bytes.length < at + 4 + length) return undefined
  return bytes.subarray(at + 4, at + 4 + length).toString('latin1')
}

/**
 * A private SSH key for a daemon that cannot ask for a passphrase: the whole key file, with its
 * line breaks, unencrypted. Returned with Unix line ends and a final newline (ssh needs both).
 * Errors never quote the key.
 */
export function sshPrivateKey(input: string, text: string): string | undefined {
  const key = text.replace(/\r\n?/g, '\n').trim()
  if (key === '') return undefined
  if (/^(?:ssh|ecdsa|sk)-\S+ [A-Za-z0-9+/=]+/.test(key))
    throw new InputError(input, 'is a public key: give the private key file (the one without .pub)')
  if (!key.includes('\n') && key.includes('\\n'))
    throw new InputError(
      input,
      'has "\\n" where its line breaks should be: paste the key file as it is, on several lines'
    )
  const block = BLOCK.exec(key)
  if (!block)
    throw new InputError(
      input,
      'is not a private key file: paste it whole, from -----BEGIN … PRIVATE KEY----- to -----END … PRIVATE KEY-----'
    )
  const [, kind, body] = block
  const cipher = kind === 'OPENSSH ' ? opensshCipher(body) : undefined
  if (kind === 'OPENSSH ' && cipher === undefined)
    throw new InputError(input, 'is damaged: its OPENSSH PRIVATE KEY block does not decode')
  if ((cipher !== undefined && cipher !== 'none') || kind === 'ENCRYPTED ' || /^Proc-Type: 4,ENCRYPTED/m.test(body))
    throw new InputError(
      input,
      'is protected by a passphrase, which the nix-daemon cannot type: use a key without one (ssh-keygen -p -N "" -f KEY removes it)'
    )
  return `${key}\n`
}

/** The lines of a key worth masking in logs: all but the BEGIN/END lines, which every key shares. */
export function sshKeySecretLines(key: string): string[] {
  return key.split('\n').filter(line => line.trim() !== '' && !line.startsWith('-----'))
}
