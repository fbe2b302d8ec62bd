import { cp, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkOutForRunner, REPO } from './runner.js'
import { nonce } from './sample-flake.js'

export interface FleetHost {
  system?: string
  /** nix.settings of the host, as NixOS would have them. */
  settings?: Record<string, string[]>
  /** Evaluating the host throws. */
  throw?: boolean
  /** Millions of additions before the host evaluates (about a second each per 10). */
  spin?: number
  /** The toplevel depends on a derivation that prints 40 lines and fails. */
  fail?: boolean
  /** The host's configuration imports a derivation's output (pkgs.generated): import from derivation. */
  ifd?: boolean
}

export interface Fleet {
  /** nixosConfigurations. */
  hosts: Record<string, FleetHost>
  /** homeConfigurations (activationPackage), when given; the flake has none otherwise. */
  home?: Record<string, FleetHost>
  /** darwinConfigurations (system), when given; the flake has none otherwise. */
  darwin?: Record<string, FleetHost>
  /** checks.<system>.<name>, when given: each prints its name, or fails. */
  checks?: Record<string, Record<string, { fail?: boolean }>>
}

/** A copy of harness/fleet-flake with this fleet and a fresh nonce, handed to the runner user. */
export async function fleetFlake(fleet: Fleet): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-flake-'))
  await cp(join(REPO, 'harness', 'fleet-flake'), dir, { recursive: true })
  await writeFile(join(dir, 'fleet.json'), JSON.stringify({ nonce: nonce(), ...fleet }))
  await checkOutForRunner(dir)
  return dir
}
