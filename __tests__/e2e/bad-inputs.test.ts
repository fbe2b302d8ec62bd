import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { newJob, runStep } from '../../harness/runner.js'
import { sampleFlake } from '../../harness/sample-flake.js'
import { CACHE, type Server } from '../support/legs.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

function errorLines(stdout: string): string[] {
  return stdout.split('\n').filter(l => l.startsWith('::error::'))
}

describe('bad inputs', () => {
  const BAD: [string, Record<string, string>, RegExp][] = [
    ['cache name with capitals', { cachix: 'My Cache' }, /input cachix: "My Cache" is not a Cachix cache name/],
    ['push is not a tristate', { push: 'maybe' }, /input push: "maybe" is not auto, true or false/],
    [
      'keep-going is not a boolean',
      { 'keep-going': 'yes please' },
      /input keep-going: "yes please" is not true or false/
    ],
    ['max-jobs is not a number', { 'max-jobs': 'lots' }, /input max-jobs: "lots" is not a whole number or auto/],
    ['cores is negative', { cores: '-1' }, /input cores: "-1" is not a non-negative whole number/],
    [
      'unknown system',
      { system: 'x86_64-windows' },
      /input system: "x86_64-windows" is not one of x86_64-linux, aarch64-linux/
    ],
    ['host name with spaces inside quotes', { hosts: 'good bad!host' }, /input hosts: "bad!host" is not a host name/],
    [
      'push-filter is not a regex',
      { 'push-filter': '(unclosed' },
      /input push-filter: "\(unclosed" is not a valid regular expression/
    ],
    ['time-budget is zero', { 'time-budget': '0' }, /input time-budget: "0" is not a positive whole number/],
    [
      'drain-timeout is not a number',
      { 'drain-timeout': 'ten' },
      /input drain-timeout: "ten" is not a positive whole number/
    ],
    [
      'time-budget leaves no time to build',
      { 'time-budget': '5', 'drain-timeout': '600' },
      /input time-budget: 5 minutes leave no time to build/
    ],
    ['unknown compression', { compression: 'gzip' }, /input compression: "gzip" is not zstd or xz/],
    [
      'install-nix is not a tristate',
      { 'install-nix': 'sometimes' },
      /input install-nix: "sometimes" is not auto, true or false/
    ],
    ['nix-version is not a release', { 'nix-version': '2.x' }, /input nix-version: "2.x" is not a Nix release/],
    ['qemu is not a tristate', { qemu: 'on' }, /input qemu: "on" is not auto, true or false/],
    [
      'qemu-interpreter is relative',
      { 'qemu-interpreter': 'qemu-aarch64-static' },
      /input qemu-interpreter: "qemu-aarch64-static" is not an absolute path/
    ],
    [
      'push true without credentials',
      { push: 'true', 'cachix-auth-token': '' },
      /input push: is true but neither cachix-auth-token nor cachix-signing-key is set/
    ],
    ['push true without a cache', { push: 'true', cachix: '' }, /input push: is true but no cachix cache name is set/],
    ['credentials without a cache', { cachix: '' }, /input cachix: is empty but Cachix credentials were given/],
    [
      'malformed signing key',
      { 'cachix-signing-key': 'mykey:AAAA' },
      /input cachix-signing-key: the signing key decodes to 3 bytes, expected 64/
    ],
    ['token with a line break', { 'cachix-auth-token': 'abc\ndef' }, /input cachix-auth-token: contains white space/],
    [
      'extra pull cache name',
      { 'extra-pull-caches': 'good, Bad_Name' },
      /input extra-pull-caches: "Bad_Name" is not a Cachix cache name/
    ],
    [
      'attribute path with spaces',
      { attributes: 'nixosConfigurations.alpha.pkgs.hello nixos..x' },
      /input attributes: "nixos..x" is not an attribute path/
    ],
    [
      'extra-nix-config sets the hook',
      { 'extra-nix-config': 'post-build-hook = /bin/true' },
      /input extra-nix-config: sets post-build-hook, which this action owns/
    ],
    [
      'extra-nix-config line is not a setting',
      { 'extra-nix-config': 'just some words' },
      /input extra-nix-config: line "just some words" is not "name = value"/
    ],
    ['skip-cached is not a boolean', { 'skip-cached': 'TRUE!' }, /input skip-cached: "TRUE!" is not true or false/],
    ['extra-args with an unclosed quote', { 'extra-args': '--option "x y' }, /input extra-args: has an unclosed quote/],
    [
      'cachix-url is not a URL',
      { 'cachix-url': 'cachix.org' },
      /input cachix-url: "cachix.org" is not an http\(s\) URL/
    ],
    ['push-jobs is zero', { 'push-jobs': '0' }, /input push-jobs: "0" is not a positive whole number/],
    [
      'builders with a line break',
      { builders: 'ssh://builder x86_64-linux\npost-build-hook = /tmp/evil' },
      /input builders: line 2 \(post-build-hook = \/tmp\/evil\): "post-build-hook" has no scheme/
    ],
    [
      'github-token with a line break',
      { 'github-token': 'ghs_abc\npost-build-hook = /tmp/evil' },
      /input github-token: contains white space or a control character/
    ],
    [
      'max-jobs with a line break',
      { 'max-jobs': '4\npost-build-hook = /tmp/evil' },
      /input max-jobs: contains a line break or another control character/
    ],
    [
      'cachix-url with a line break',
      { 'cachix-url': 'https://cachix.org\nx' },
      /input cachix-url: contains a line break or another control character/
    ],
    [
      'extra-nix-config with a control character',
      { 'extra-nix-config': 'keep-outputs = true\u001b[2K' },
      /input extra-nix-config: contains a control character/
    ],
    [
      'extra-args sets the hook',
      { 'extra-args': '--option post-build-hook /tmp/evil' },
      /input extra-args: sets post-build-hook, which this action owns/
    ]
  ]
  let server: Server
  let flake: string
  beforeAll(async () => {
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
    flake = await sampleFlake()
  })
  afterAll(async () => server.close())

  it.each(BAD)('%s: one line of error, nothing touched', async (_why, inputs, message) => {
    const job = await newJob()
    const requestsBefore = server.stats.requests
    const result = await runStep({
      step: 'main',
      job,
      cwd: flake,
      inputs: { cachix: CACHE, 'cachix-url': server.url, 'cachix-auth-token': WRITE_TOKEN, ...inputs }
    })
    expect(result.code).toBe(1)
    const errors = errorLines(result.stdout)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(message)
    expect(errors[0]).not.toContain('%0A')
    expect(server.stats.requests).toBe(requestsBefore)
    expect(await readFile(join(job.nixConfDir, 'nix.conf'), 'utf8')).toBe(job.baseNixConf)
    expect(await readdir(job.runnerTemp)).toEqual([])
    expect(result.state).toEqual({})
  })
})
