import * as core from '@actions/core'
import { sshKeySecretLines } from '../inputs/ssh-key.js'
import { forgetSecretEnv } from '../util/process.js'
import { parseInputs, type Inputs } from './inputs.js'

const SECRET_INPUTS = ['cachix-auth-token', 'cachix-signing-key', 'github-token']

/**
 * The action's inputs, validated, with secrets masked before anything can log them. Once read,
 * the INPUT_* variables leave this process's environment, so no child inherits the secrets.
 */
export function getInputs(): Inputs {
  for (const name of SECRET_INPUTS) {
    const value = core.getInput(name).trim()
    if (value === '') continue
    core.setSecret(value)
    // A Nix-format key is also masked without its name, in case a tool prints only the body.
    if (value.includes(':')) core.setSecret(value.slice(value.indexOf(':') + 1))
  }
  // The runner masks a secret line by line: each line of the key body is masked on its own.
  for (const line of sshKeySecretLines(core.getInput('builder-ssh-key'))) core.setSecret(line.trim())
  try {
    return parseInputs(name => core.getInput(name))
  } finally {
    forgetSecretEnv()
  }
}
