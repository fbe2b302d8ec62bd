import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { detailsExpression, type Host } from '../src/hosts/configurations.js'
import { hostDetails } from '../src/hosts/flake.js'
import { runNix } from '../src/nix/command.js'
import { config } from './config.js'
import { loadAverage } from './environment.js'
import { ratio, seconds, verdict, type Row } from './report.js'
import { nixInstalls, type NixInstall } from './runtimes.js'

const GOAL = 1.1
const DERIVATIONS = 10_000

/**
 * A host without import from derivation whose evaluation takes seconds, as a NixOS system's
 * does: thousands of derivations (their .drv files written) and pure arithmetic.
 */
function hostFlake(derivations: number): string {
  return `{
  outputs = { self }: let
    system = "x86_64-linux";
    leaf = i: derivation { name = "leaf-\${toString i}"; inherit system; builder = "/bin/sh"; args = [ "-c" "echo \${toString i} > $out" ]; };
    leaves = builtins.genList leaf ${derivations};
    sum = builtins.foldl' (a: b: a + b) 0 (builtins.genList (i: i * 3) ${derivations * 500});
    toplevel = derivation {
      name = "nixos-system-plain"; inherit system; builder = "/bin/sh";
      args = [ "-c" "echo \${toString sum} > $out" ];
      leaves = map (l: l.outPath) leaves;
    };
  in { nixosConfigurations.plain = { config.system.build.toplevel = toplevel; }; };
}
`
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await fn()
  return performance.now() - started
}

/**
 * The leg's evaluation of a host without import from derivation, as it is (the internal-json log
 * read, each host marked, imports looked for) against the same `nix eval` with a plain log, as
 * before: rounds interleaved, medians compared.
 */
async function measure(nix: NixInstall, flake: string, rounds: number, log: (line: string) => void): Promise<Row> {
  const host: Host = { id: 'plain', kind: 'nixos', attribute: 'plain' }
  const plain = (): Promise<unknown> =>
    runNix(
      [
        'eval',
        '--json',
        `${flake}#nixosConfigurations`,
        '--apply',
        detailsExpression('nixos', ['plain']).replace(/builtins\.trace "[^"]*" /, '')
      ],
      { env: nix.env }
    )
  const ours = async (): Promise<void> => {
    const [details] = await hostDetails(flake, [host], nix.env)
    if (details.imports.length > 0)
      throw new Error(`a host without imports was found to import ${details.imports.join(' ')}`)
  }
  await plain()
  const peer: number[] = []
  const measured: number[] = []
  for (let round = 0; round < rounds; round++) {
    peer.push(await timed(plain))
    measured.push(await timed(ours))
  }
  const value = median(measured) / median(peer)
  log(
    `${nix.label}: plain log ${peer.map(ms => seconds(ms)).join(', ')}; ours ${measured.map(ms => seconds(ms)).join(', ')} (${loadAverage()})`
  )
  return [
    `evaluation of a host without IFD, ${nix.label}: ours / plain log (medians ${seconds(median(measured))} / ${seconds(median(peer))})`,
    ratio(value),
    `<= ${ratio(GOAL)}`,
    verdict(value, GOAL, false)
  ]
}

/** The cost of finding evaluation imports on a host that has none, on each Nix. */
export async function evalImportsCost(log: (line: string) => void): Promise<Row[]> {
  const flake = join(config.dir, 'eval-imports-flake')
  await mkdir(flake, { recursive: true })
  await writeFile(join(flake, 'flake.nix'), hostFlake(Math.max(100, Math.round(DERIVATIONS * config.scale))))
  const rounds = Math.max(3, Math.round(Number(process.env.BENCH_EVAL_ROUNDS ?? 7)))
  const { host, modern, modernProblem } = await nixInstalls()
  const rows = [await measure(host, flake, rounds, log)]
  if (modern !== undefined) rows.push(await measure(modern, flake, rounds, log))
  else
    rows.push([
      `evaluation of a host without IFD, modern Nix`,
      modernProblem ?? 'not run',
      `<= ${ratio(GOAL)}`,
      'NOT RUN'
    ])
  return rows
}
