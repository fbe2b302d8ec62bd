import { describe, expect, it } from '@jest/globals'
import { parsePackageName } from '../../../src/diff/names.js'

describe('package names, as nix store diff-closures splits them', () => {
  // The rule: strip a trailing -<lowercase letters>|lib32|lib64 output, then split at the first
  // dash not followed by a letter (builtins.parseDrvName's examples included).
  it.each([
    ['hello-2.12', 'hello', '2.12', ''],
    ['hello-2.12-bin', 'hello', '2.12', 'bin'],
    ['rip-grep-1.2', 'rip-grep', '1.2', ''],
    ['7zip_archiver-0.2', '7zip_archiver', '0.2', ''],
    ['gcc-1-2', 'gcc', '1-2', ''],
    ['bash--1-2', 'bash', '-1-2', ''],
    ['xvidtune-?1-2', 'xvidtune', '?1-2', ''],
    ['nixos-system-laptop-24.05.20240101.abcdef', 'nixos-system-laptop', '24.05.20240101.abcdef', ''],
    ['etc', 'etc', '', ''],
    ['unit-dbus.service', 'unit-dbus.service', '', ''],
    ['glibc-2.39-52-lib64', 'glibc', '2.39-52', 'lib64'],
    ['linux-6.6.30-modules', 'linux', '6.6.30', 'modules'],
    // Ambiguous in Nix as well: "unstable" is taken for an output name.
    ['foo-unstable', 'foo', '', 'unstable'],
    ['python3.12-requests-2.31.0-dist', 'python3.12-requests', '2.31.0', 'dist'],
    ['source', 'source', '', ''],
    ['x-', 'x-', '', '']
  ])('%s → name %s, version %s, output %s', (storeName, name, version, output) => {
    expect(parsePackageName(storeName)).toEqual({ name, version, output })
  })
})
