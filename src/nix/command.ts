import { runCommand, type RunOptions, type RunResult } from '../util/process.js'

// Nix before 2.35 needs both features switched on for `nix build`, `nix eval` and flake references;
// naming them on every call works whatever the machine's nix.conf says.
export const NIX_FLAKES_ARGS = ['--extra-experimental-features', 'nix-command flakes']
export const NIX_FLAKES_CONF = 'extra-experimental-features = nix-command flakes'

/** Runs `nix` with the new CLI and flakes enabled. */
export async function runNix(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runCommand('nix', [...NIX_FLAKES_ARGS, ...args], options)
}
