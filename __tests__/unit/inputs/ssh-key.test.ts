import { describe, expect, it } from '@jest/globals'
import { sshPrivateKey } from '../../../src/inputs/ssh-key.js'
import { ED, opensshKey } from '../../support/ssh-keys.js'

describe('builder-ssh-key', () => {
  it('takes an unencrypted key whole, with Unix line ends and a final newline', () => {
    const key = opensshKey('none')
    expect(sshPrivateKey('builder-ssh-key', `${key.replace(/\n/g, '\r\n')}\r\n\r\n`)).toBe(`${key}\n`)
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----'
    expect(sshPrivateKey('builder-ssh-key', pem)).toBe(`${pem}\n`)
    expect(sshPrivateKey('builder-ssh-key', '  ')).toBeUndefined()
  })

  it.each([
    [
      'a passphrase (OpenSSH format)',
      opensshKey('aes256-ctr'),
      /is protected by a passphrase, which the nix-daemon cannot type/
    ],
    [
      'a passphrase (PEM)',
      '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: x\n\nabc\n-----END RSA PRIVATE KEY-----',
      /is protected by a passphrase/
    ],
    [
      'PKCS#8, encrypted',
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nabc\n-----END ENCRYPTED PRIVATE KEY-----',
      /is protected by a passphrase/
    ],
    ['a public key', `ssh-ed25519 ${ED} me@laptop`, /is a public key: give the private key file/],
    ['escaped line breaks', opensshKey('none').replace(/\n/g, '\\n'), /has "\\n" where its line breaks should be/],
    ['half a key', opensshKey('none').split('\n').slice(0, 2).join('\n'), /is not a private key file: paste it whole/],
    [
      'a damaged OpenSSH body',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----',
      /is damaged/
    ]
  ])('refuses %s, without quoting it', (_why, text, message) => {
    let error: unknown
    try {
      sshPrivateKey('builder-ssh-key', text)
    } catch (caught: unknown) {
      error = caught
    }
    expect(String(error)).toMatch(message)
    expect(String(error)).not.toContain(text.split('\n')[1] ?? text)
  })
})
