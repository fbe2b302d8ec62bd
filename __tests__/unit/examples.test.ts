import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { REPO } from '../../harness/runner.js'
import { runCommand } from '../../src/util/process.js'

const MODULE = join(REPO, 'examples', 'cachix.nix')
const WORKFLOW = join(REPO, 'examples', 'build.yml')

// There is no nixpkgs here, so the module is applied to just enough of lib and pkgs for it,
// and its mkIf/mkMerge tree is folded by hand (lists concatenate, attribute sets merge).
// That checks the roles' logic and the scripts, not NixOS's own option types.
const STUB = `
{ file, role, tokenFile ? null, followBranch ? null }:
let
  lib = {
    mkOption = o: o;
    mkEnableOption = description: { type = "bool"; default = false; inherit description; };
    types = { str = "str"; bool = "bool"; enum = xs: { enum = xs; }; nullOr = t: { nullOr = t; }; strMatching = re: { strMatching = re; }; };
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkMerge = contents: { _type = "merge"; inherit contents; };
    optional = c: x: if c then [ x ] else [ ];
    escapeShellArg = s: "'" + builtins.replaceStrings [ "'" ] [ "'\\\\''" ] s + "'";
    makeBinPath = ps: builtins.concatStringsSep ":" (map (p: p + "/bin") ps);
  };
  pkg = name: "/nix/store/00000000000000000000000000000000-" + name;
  script = name: text: { inherit name text; outPath = pkg name; };
  pkgs = {
    cachix = pkg "cachix";
    coreutils = pkg "coreutils";
    util-linux = pkg "util-linux";
    writeShellScript = script;
    writeShellApplication = a: script a.name a.text;
  };
  config = {
    services.nix-cachix-build = { enable = true; cache = "seeds"; publicKey = "seeds.cachix.org-1:key="; flake = "/etc/nixos"; inherit role tokenFile followBranch; };
    networking.hostName = "desk";
    nix.package = pkg "nix";
  };
  module = import file { inherit config lib pkgs; };
  isNode = v: builtins.isAttrs v && !(v ? outPath) && !(v ? _type);
  merge = a: b: a // builtins.mapAttrs (k: v:
    if !(builtins.hasAttr k a) then v
    else if builtins.isList v then builtins.getAttr k a ++ v
    else if isNode v then merge (builtins.getAttr k a) v
    else throw ("two definitions of " + k)) b;
  resolve = v:
    if builtins.isAttrs v && v ? _type then
      (if v._type == "if" then (if v.condition then resolve v.content else { }) else builtins.foldl' merge { } (map resolve v.contents))
    else if isNode v then builtins.mapAttrs (_: resolve) v
    else v;
  c = resolve module.config;
  packages = c.environment.systemPackages or [ ];
in {
  options = builtins.attrNames module.options.services.nix-cachix-build;
  roles = module.options.services.nix-cachix-build.role.type.enum;
  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
  warnings = c.warnings or [ ];
  substituters = c.nix.settings.substituters;
  trustedPublicKeys = c.nix.settings.trusted-public-keys;
  hook = if c.nix.settings ? post-build-hook then c.nix.settings.post-build-hook.text else null;
  services = builtins.attrNames (c.systemd.services or { });
  pathUnits = builtins.attrNames (c.systemd.paths or { });
  pushScript = if c ? systemd then c.systemd.services.nix-cachix-build-push.script else null;
  packages = builtins.listToAttrs (map (p: { name = p.name; value = p.text; }) packages);
  autoUpgrade = c.system.autoUpgrade or null;
}`

interface Evaluated {
  options: string[]
  roles: string[]
  failedAssertions: string[]
  warnings: string[]
  substituters: string[]
  trustedPublicKeys: string[]
  hook: string | null
  services: string[]
  pathUnits: string[]
  pushScript: string | null
  packages: Record<string, string>
  autoUpgrade: { enable?: boolean; flake?: string; dates?: string } | null
}

async function evaluate(
  role: string,
  tokenFile: string | null,
  attr?: string,
  followBranch?: string
): Promise<unknown> {
  const token = tokenFile === null ? ['--arg', 'tokenFile', 'null'] : ['--argstr', 'tokenFile', tokenFile]
  const args = [
    '--eval',
    '--strict',
    '--json',
    '-E',
    STUB,
    '--argstr',
    'file',
    MODULE,
    '--argstr',
    'role',
    role,
    ...token,
    ...(followBranch === undefined ? [] : ['--argstr', 'followBranch', followBranch])
  ]
  const { stdout } = await runCommand('nix-instantiate', attr ? [...args, '-A', attr] : args)
  return JSON.parse(stdout) as unknown
}

async function bashSyntaxErrors(text: string): Promise<string> {
  const { code, stderr } = await runCommand('bash', ['-n'], { input: text, okCodes: [1, 2] })
  return code === 0 ? '' : stderr
}

describe('examples/cachix.nix', () => {
  it('parses', async () => {
    const { code, stdout } = await runCommand('nix-instantiate', ['--parse', MODULE])
    expect(code).toBe(0)
    expect(stdout).toContain('config')
  })

  it('the parse check is real: a broken expression is rejected', async () => {
    await expect(runCommand('nix-instantiate', ['--parse', '-E', '{ config, ... }: { x = ; }'])).rejects.toThrow(
      /failed with exit code/
    )
  })

  it('is a NixOS module function of config, lib and pkgs', async () => {
    const expr =
      '{ file }: let m = import file; in { function = builtins.isFunction m; args = builtins.attrNames (builtins.functionArgs m); }'
    const { stdout } = await runCommand('nix-instantiate', [
      '--eval',
      '--strict',
      '--json',
      '-E',
      expr,
      '--argstr',
      'file',
      MODULE
    ])
    expect(JSON.parse(stdout)).toEqual({ function: true, args: ['config', 'lib', 'pkgs'] })
  })

  it('declares the options and roles', async () => {
    const { options, roles } = (await evaluate('laptop', null)) as Evaluated
    expect(options).toEqual(['cache', 'enable', 'flake', 'followBranch', 'publicKey', 'role', 'tokenFile'])
    expect(roles).toEqual(['desktop', 'laptop'])
  })

  it('a desktop substitutes, queues builds in a hook without network I/O, and pushes from a service', async () => {
    const desktop = (await evaluate('desktop', '/run/secrets/cachix-token')) as Evaluated
    expect(desktop.failedAssertions).toEqual([])
    expect(desktop.substituters).toEqual(['https://seeds.cachix.org'])
    expect(desktop.trustedPublicKeys).toEqual(['seeds.cachix.org-1:key='])

    const hook = desktop.hook ?? ''
    expect(hook).toContain('$OUT_PATHS')
    expect(hook).toContain('$DRV_PATH')
    expect(hook.trim().endsWith('exit 0')).toBe(true)
    // The spool directory's name is the only place the hook may say cachix.
    expect(hook.replace(/\/var\/lib\/nix-cachix-build\b/g, '/spool')).not.toMatch(/cachix|curl|wget|ssh|copy/)

    expect(desktop.services).toEqual(['nix-cachix-build-push'])
    expect(desktop.pathUnits).toEqual(['nix-cachix-build-push'])
    expect(desktop.pushScript).toContain("cat '/run/secrets/cachix-token'")
    expect(desktop.pushScript).toContain("cachix push 'seeds'")

    expect(Object.keys(desktop.packages)).toEqual(['rebuild-push'])
    expect(desktop.packages['rebuild-push']).toContain('nixos-rebuild switch --flake \'/etc/nixos#desk\' "$@"')
    expect(desktop.packages['rebuild-push']).toContain("cachix push 'seeds'")
  })

  it("a desktop's scripts are valid bash", async () => {
    const desktop = (await evaluate('desktop', '/run/secrets/cachix-token')) as Evaluated
    const scripts = [desktop.hook ?? '', desktop.pushScript ?? '', ...Object.values(desktop.packages)]
    expect(await Promise.all(scripts.map(bashSyntaxErrors))).toEqual(['', '', ''])
    // The syntax check itself can fail.
    expect(await bashSyntaxErrors('if then')).not.toBe('')
  })

  it('a desktop without tokenFile fails an assertion', async () => {
    const failed = (await evaluate('desktop', null, 'failedAssertions')) as string[]
    expect(failed).toEqual([expect.stringContaining('tokenFile is required')])
  })

  it('a laptop substitutes but has no hook, no push service and only cache-check', async () => {
    const laptop = (await evaluate('laptop', null)) as Evaluated
    expect(laptop.failedAssertions).toEqual([])
    expect(laptop.warnings).toEqual([])
    expect(laptop.substituters).toEqual(['https://seeds.cachix.org'])
    expect(laptop.hook).toBeNull()
    expect(laptop.services).toEqual([])
    expect(laptop.pushScript).toBeNull()
    expect(Object.keys(laptop.packages)).toEqual(['cache-check'])
    expect(laptop.packages['cache-check']).toContain("nixos-rebuild dry-build --flake '/etc/nixos#desk'")
    expect(laptop.packages['cache-check']).not.toContain('cachix')
    expect(await bashSyntaxErrors(laptop.packages['cache-check'] ?? 'if then')).toBe('')
  })

  it('a laptop following the cached branch upgrades from it; without followBranch it does not', async () => {
    const laptop = (await evaluate('laptop', null, undefined, 'github:alice/seeds/cached')) as Evaluated
    expect(laptop.autoUpgrade).toEqual({ enable: true, flake: 'github:alice/seeds/cached', dates: 'daily' })
    // mkIf false: no definition at all (the stub folds it to an empty set).
    expect(((await evaluate('laptop', null)) as Evaluated).autoUpgrade).toEqual({})
    expect(
      ((await evaluate('desktop', '/run/t', undefined, 'github:alice/seeds/cached')) as Evaluated).autoUpgrade
    ).toBeNull()
  })

  it('a laptop given a token warns that it is unused', async () => {
    const warnings = (await evaluate('laptop', '/run/secrets/cachix-token', 'warnings')) as string[]
    expect(warnings).toEqual([expect.stringContaining('never pushes')])
  })
})

interface Step {
  uses?: string
  run?: string
  with?: Record<string, unknown>
  env?: Record<string, unknown>
}

interface Job {
  'runs-on'?: string
  outputs?: Record<string, string>
  permissions?: Record<string, string>
  needs?: string | string[]
  if?: string
  strategy?: { 'fail-fast'?: boolean; matrix?: unknown }
  'timeout-minutes'?: number
  steps?: Step[]
}

interface Workflow {
  on?: {
    push?: { branches?: string[] }
    pull_request?: unknown
    workflow_dispatch?: { inputs?: Record<string, { type?: string; required?: boolean }> }
  }
  concurrency?: { group?: string; 'cancel-in-progress'?: boolean }
  permissions?: Record<string, string>
  jobs?: Record<string, Job>
}

describe('examples/build.yml', () => {
  const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as Workflow
  const jobs = workflow.jobs ?? {}

  it('runs on pushes to develop and main, pull requests, and by hand for one host', () => {
    expect(workflow.on?.push?.branches).toEqual(['develop', 'main'])
    expect(workflow.on && 'pull_request' in workflow.on).toBe(true)
    expect(workflow.on?.workflow_dispatch?.inputs?.host).toMatchObject({ type: 'string', required: false })
  })

  it('cancels superseded runs and only reads the repository', () => {
    expect(workflow.concurrency).toEqual({
      group: '${{ github.workflow }}-${{ github.ref }}',
      'cancel-in-progress': true
    })
    expect(workflow.permissions).toEqual({ contents: 'read' })
  })

  it('plans, pre-warms, builds hosts and checks, and reports, in at most 110 lines and no shell', () => {
    expect(readFileSync(WORKFLOW, 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(110)
    expect(Object.keys(jobs)).toEqual(['plan', 'prewarm', 'build', 'report'])
    expect(Object.values(jobs).flatMap(job => (job.steps ?? []).filter(step => step.run !== undefined))).toEqual([])
    expect(jobs.plan?.steps?.map(s => s.uses)).toEqual(['actions/checkout@v5', 'krit/nix-cachix-build/plan@v1'])
    expect(jobs.plan?.steps?.[1]?.with).toMatchObject({
      hosts: '${{ inputs.host }}',
      'cachix-auth-token': '${{ secrets.CACHIX_AUTH_TOKEN }}',
      attributes: 'nixosConfigurations.desktop.pkgs.thunderbird',
      checks: true
    })
    for (const output of [
      'build-matrix',
      'prewarm-matrix',
      'build-any',
      'prewarm-any',
      'toplevels',
      'systems',
      'eval-failed'
    ])
      expect(jobs.plan?.outputs?.[output]).toBe(`\${{ steps.plan.outputs.${output} }}`)
  })

  it('pre-warm rows run first, and a failed pre-warm never blocks the hosts (build needs it under !cancelled())', () => {
    const prewarm = jobs.prewarm ?? {}
    expect(prewarm.needs).toBe('plan')
    expect(prewarm.if).toBe("needs.plan.outputs.prewarm-any == 'true'")
    expect(prewarm.strategy).toEqual({
      'fail-fast': false,
      matrix: '${{ fromJSON(needs.plan.outputs.prewarm-matrix) }}'
    })
    expect(prewarm.steps?.[1]?.with).toMatchObject({ attributes: '${{ matrix.attribute }}' })
    expect(prewarm.steps?.[1]?.with?.hosts).toBeUndefined()

    const build = jobs.build ?? {}
    expect(build.needs).toEqual(['plan', 'prewarm'])
    // A status function in if replaces the implicit success(): build runs after a failed or skipped pre-warm.
    expect(build.if).toBe("${{ !cancelled() && needs.plan.outputs.build-any == 'true' }}")
    expect(build.strategy).toEqual({ 'fail-fast': false, matrix: '${{ fromJSON(needs.plan.outputs.build-matrix) }}' })
    expect(build['runs-on']).toBe('${{ matrix.runner }}')
    expect(build.steps?.map(s => s.uses)).toEqual(['actions/checkout@v5', 'krit/nix-cachix-build@v1'])
    const action = build.steps?.[1]?.with ?? {}
    expect(action).toMatchObject({
      hosts: '${{ matrix.host }}',
      checks: "${{ matrix.kind == 'checks' }}",
      system: '${{ matrix.system }}',
      'cachix-auth-token': '${{ secrets.CACHIX_AUTH_TOKEN }}',
      'free-disk-space': "${{ matrix.kind != 'darwin' }}"
    })
    for (const job of [prewarm, build])
      expect(Number(job.steps?.[1]?.with?.['time-budget'])).toBeLessThan(job['timeout-minutes'] ?? 0)
  })

  it('the report job: every job it needs, after failures but not for a cancelled run, notifying and promoting cached', () => {
    const report = jobs.report ?? {}
    expect(report.needs).toEqual(['plan', 'prewarm', 'build'])
    expect(report.if).toBe('${{ !cancelled() }}')
    expect(report.permissions).toEqual({ contents: 'write', actions: 'read' })
    expect(report.steps?.map(s => s.uses)).toEqual(['krit/nix-cachix-build/report@v1'])
    expect(report.steps?.[0]?.with).toEqual({
      needs: '${{ toJSON(needs) }}',
      cachix: '${{ env.CACHIX_CACHE }}',
      'cachix-auth-token': '${{ secrets.CACHIX_AUTH_TOKEN }}',
      'notify-url': '${{ secrets.FLEET_WEBHOOK }}',
      'promote-ref': 'cached'
    })
  })
})
