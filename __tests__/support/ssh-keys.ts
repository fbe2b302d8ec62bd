// SSH keys for tests: made-up key bytes in the formats ssh and Nix read.

/** An SSH wire-format string: uint32 length, then the bytes. */
export function sshString(bytes: Buffer | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  return Buffer.concat([length, body])
}

/** A public key of `type` whose blob names that type, as real keys do (the key bytes are made up). */
export function publicKey(type: string, seed: number): string {
  return Buffer.concat([sshString(type), sshString(Buffer.alloc(32, seed))]).toString('base64')
}

export const ED = publicKey('ssh-ed25519', 1)

/** An OpenSSH-format private key file whose cipher is `cipher` (the rest of its body is filler). */
export function opensshKey(cipher: string): string {
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString(cipher),
    sshString('none'),
    Buffer.alloc(40, 7)
  ])
  const lines = body.toString('base64').match(/.{1,70}/g) ?? []
  return ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----'].join('\n')
}
