import { beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runNix } from '../../src/nix/command.js'
import { evaluationImports, probeImports } from '../../src/hosts/eval-imports.js'
import { EVAL_LOG_ARGS, parseEvalLog } from '../../src/nix/eval-log.js'
import { nonce, OFFLINE } from '../support/nix.js'

// Hosts that import derivation outputs in each way evaluation can: `import`, `readFile` (an
// options.json), one path made of two derivations' outputs, and none at all.
const FLAKE = `{
  outputs = { self }:
    let
      tag = builtins.readFile ./tag;
      mk = name: script: deps: derivation ({ inherit name; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" script ]; } // deps);
      dep = mk "dep-\${tag}" "echo dep > $out" { };
      gen = n: mk "gen-\${n}-\${tag}" "echo '{ value = \\"\${n}\\"; }' > $out" { inherit dep; };
      options = mk "options-json-\${tag}" "echo '{\\"a\\": \\"json\\"}' > $out" { };
      a = gen "a";
      b = gen "b";
      host = name: text: { config.system.build.toplevel = mk "nixos-system-\${name}-\${tag}" "echo \${text} > $out" { }; };
    in {
      nixosConfigurations = {
        plain = host "plain" "plain";
        imp = host "imp" (import a).value;
        readfile = host "readfile" (builtins.fromJSON (builtins.readFile options)).a;
        multi = host "multi" (builtins.readFile ("\${a}" + builtins.substring 0 0 "\${b}"));
      };
      outs = { a = a.outPath; b = b.outPath; options = options.outPath; dep = dep.outPath; };
    };
}
`

/** `nix eval` of one host's toplevel, as the leg and the planner evaluate it. */
const evalArgs = (flake: string, host: string): string[] => [
  'eval',
  '--json',
  `${flake}#nixosConfigurations.${host}`,
  '--apply',
  'h: h.config.system.build.toplevel.drvPath',
  ...OFFLINE
]

async function evaluate(flake: string, host: string) {
  const args = evalArgs(flake, host)
  const result = await runNix([...args, ...EVAL_LOG_ARGS])
  const log = parseEvalLog(result.stderr)
  return { log, imports: await evaluationImports(log, args, process.env) }
}

describe('what an evaluation imports, whether it builds the imports or finds them valid', () => {
  let flake: string
  let outs: Record<string, string>
  beforeAll(async () => {
    flake = await mkdtemp(join(tmpdir(), 'imports-flake-'))
    await writeFile(join(flake, 'flake.nix'), FLAKE)
    await writeFile(join(flake, 'tag'), nonce())
    outs = JSON.parse((await runNix(['eval', '--json', `${flake}#outs`, ...OFFLINE])).stdout) as Record<string, string>
  })

  it('a host without import from derivation has none, and nothing is evaluated again', async () => {
    const { log, imports } = await evaluate(flake, 'plain')
    expect(log.realisations).toBe(0)
    expect(imports).toEqual({ paths: [], how: 'none' })
  }, 120_000)

  it.each([
    ['imp', ['a']],
    ['readfile', ['options']],
    ['multi', ['a', 'b']]
  ])(
    '%s: found when evaluation builds them and again when they are valid already',
    async (host, expected) => {
      const first = await evaluate(flake, host)
      const second = await evaluate(flake, host)
      // Valid already: nothing is built the second time, and the imports are found all the same.
      expect(second.log.built).toEqual([])
      for (const { imports } of [first, second]) {
        expect(imports.error).toBeUndefined()
        // What the import was built from (dep) is no import: a machine evaluating the host needs gen-a, not dep.
        expect([...imports.paths].sort()).toEqual(expected.map(name => outs[name]).sort())
      }
      // Nix 2.34 names an import itself, unless one path is made of two derivations' outputs; 2.8 names none.
      const nixNames = second.log.named.length > 0
      expect(second.imports.how).toBe(nixNames && host !== 'multi' ? 'named' : 'scratch-store')
    },
    120_000
  )

  it('the scratch store never builds: an import that is not valid is an error, not a build', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'imports-flake-'))
    await writeFile(join(fresh, 'flake.nix'), FLAKE)
    await writeFile(join(fresh, 'tag'), nonce())
    await expect(probeImports(evalArgs(fresh, 'imp'), process.env)).rejects.toThrow(/build/)
  }, 120_000)
})
