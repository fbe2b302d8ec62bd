import { runCommand } from '../src/util/process.js'

/** Builds one flake installable here, substituting nothing (what Hydra would have built), and returns its output path. */
export async function buildOffline(installable: string): Promise<string> {
  const { stdout } = await runCommand('nix', [
    '--extra-experimental-features',
    'nix-command flakes',
    'build',
    '--no-link',
    '--json',
    '--option',
    'substituters',
    '',
    installable
  ])
  return (JSON.parse(stdout) as { outputs: { out: string } }[])[0].outputs.out
}
