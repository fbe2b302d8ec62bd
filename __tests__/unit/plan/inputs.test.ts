import { describe, expect, it } from '@jest/globals'
import { planMatrix } from '../../../src/plan/matrix.js'
import { parsePlanInputs } from '../../../src/plan/inputs.js'
import { read } from '../../support/inputs.js'

describe('planner', () => {
  it('inputs: arm runner label is configurable, bad labels are refused', () => {
    expect(parsePlanInputs(read({ 'aarch64-runner': 'ubuntu-latest' })).runners['aarch64-linux']).toBe('ubuntu-latest')
    expect(() => parsePlanInputs(read({ 'x86_64-runner': 'bad label' }))).toThrow(
      /input x86_64-runner: "bad label" is not a runner label/
    )
  })
})

describe('inputs that name hosts of every kind', () => {
  it('the planner routes darwin systems to macOS runners, labels overridable', () => {
    expect(parsePlanInputs(read({})).runners).toEqual({
      'x86_64-linux': 'ubuntu-latest',
      'aarch64-linux': 'ubuntu-24.04-arm',
      'aarch64-darwin': 'macos-15',
      'x86_64-darwin': 'macos-15-intel'
    })
    expect(
      parsePlanInputs(read({ 'aarch64-darwin-runner': 'macos-14', 'x86_64-darwin-runner': 'macos-13' })).runners
    ).toMatchObject({ 'aarch64-darwin': 'macos-14', 'x86_64-darwin': 'macos-13' })
    expect(() => parsePlanInputs(read({ 'aarch64-darwin-runner': 'mac os' }))).toThrow(
      'input aarch64-darwin-runner: "mac os" is not a runner label'
    )
    expect(parsePlanInputs(read({ hosts: 'home:alice@nas mac' })).hosts).toEqual(['home:alice@nas', 'mac'])
    expect(() => parsePlanInputs(read({ hosts: 'x:y' }))).toThrow('input hosts: "x:y" has the prefix x:')
  })
})

describe('the planner, one evaluation per host', () => {
  it('eval-jobs defaults to the number of cores and must be a positive number', () => {
    expect(parsePlanInputs(read({}), 8).evalJobs).toBe(8)
    expect(parsePlanInputs(read({ 'eval-jobs': '3' }), 8).evalJobs).toBe(3)
    expect(() => parsePlanInputs(read({ 'eval-jobs': '0' }), 8)).toThrow(
      'input eval-jobs: "0" is not a positive whole number'
    )
  })
})

describe('pre-warm rows', () => {
  it('checks: a row per system with checks when true (default false)', () => {
    expect(parsePlanInputs(read({})).checks).toBe(false)
    expect(parsePlanInputs(read({ checks: 'true' })).checks).toBe(true)
    expect(() => parsePlanInputs(read({ checks: 'all' }))).toThrow('input checks: "all" is not true or false')
  })

  it('the planner reads attributes as attribute paths', () => {
    expect(
      parsePlanInputs(read({ attributes: 'nixosConfigurations.a.pkgs.big,\nnixosConfigurations."b".pkgs.big' }))
        .attributes
    ).toEqual(['nixosConfigurations.a.pkgs.big', 'nixosConfigurations."b".pkgs.big'])
    expect(() => parsePlanInputs(read({ attributes: 'nixos..x' }))).toThrow(
      'input attributes: "nixos..x" is not an attribute path'
    )
  })
})

describe("the planner's evaluation settings", () => {
  it('reads github-token, extra-nix-config and extra-pull-caches', () => {
    const inputs = parsePlanInputs(
      read({
        'github-token': 'ghs_x',
        'extra-nix-config': '# why\nallow-import-from-derivation = false\n',
        'extra-pull-caches': 'hyprland, cosmic'
      })
    )
    expect(inputs).toMatchObject({
      githubToken: 'ghs_x',
      extraNixConfig: '# why\nallow-import-from-derivation = false\n',
      extraPullCaches: ['hyprland', 'cosmic']
    })
  })
  it.each([
    [{ 'github-token': 'ghs_a b' }, 'input github-token: contains white space or a control character'],
    [{ 'extra-nix-config': 'just words' }, 'input extra-nix-config: line "just words" is not "name = value"'],
    [{ 'extra-pull-caches': 'Bad_Name' }, 'input extra-pull-caches: "Bad_Name" is not a Cachix cache name']
  ])('refuses %j', (values, message) => {
    expect(() => parsePlanInputs(read(values))).toThrow(message)
  })
})

describe('the inputs together', () => {
  it('the planner sends the rows of builder-systems to the x86 runner', () => {
    const plan = parsePlanInputs(read({ 'x86_64-runner': 'ubuntu-24.04', 'builder-systems': 'aarch64-linux' }))
    expect(plan.runners['aarch64-linux']).toBe('ubuntu-24.04')
    expect(plan.runners['aarch64-darwin']).toBe('macos-15')
    const rows = planMatrix(
      [
        { name: 'pi', system: 'aarch64-linux', outPath: '/nix/store/a' },
        { name: 'web', system: 'x86_64-linux', outPath: '/nix/store/b' }
      ],
      new Set(),
      plan.runners
    ).rows
    expect(rows.map(r => [r.host, r.system, r.runner])).toEqual([
      ['pi', 'aarch64-linux', 'ubuntu-24.04'],
      ['web', 'x86_64-linux', 'ubuntu-24.04']
    ])
    expect(parsePlanInputs(read({})).runners['aarch64-linux']).toBe('ubuntu-24.04-arm')
    expect(() => parsePlanInputs(read({ 'builder-systems': 'arm64' }))).toThrow(
      /^input builder-systems: "arm64" is not one of/
    )
  })
})
