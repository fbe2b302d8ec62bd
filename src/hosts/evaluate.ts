import { attributePath, type Host } from './configurations.js'
import { errorExcerpt } from './eval-error.js'
import { mapLimit } from '../util/async.js'
import { attributeImports, evalWithLog } from './eval-imports.js'

export interface Evaluated {
  name: string
  system: string
  outPath: string
  seconds: number
  /** Derivations its evaluation built (import from derivation that no substituter had). */
  builtWhileEvaluating: string[]
  /** What its evaluation read from derivation outputs, valid already or built (see HostInfo.imports). */
  imports: string[]
  /** Why its imports could not all be listed, when they could not. */
  importsUnknown?: string
}

export interface EvalFailure {
  name: string
  /** The first lines of Nix's error. */
  error: string
}

/** One derivation's system and output path, in a `nix eval` of its own; `name` is what it is reported as. */
async function evaluateDerivation(
  flake: string,
  name: string,
  attributePath: string,
  env: NodeJS.ProcessEnv,
  withImports: boolean
): Promise<Evaluated | EvalFailure> {
  const started = Date.now()
  const attribute = `${flake}#${attributePath}`
  const result = await evalWithLog(
    ['eval', '--json', attribute, '--apply', 't: { system = t.system; out = t.outPath; }'],
    env
  )
  if (result.code !== 0) return { name, error: errorExcerpt(result.log.text) }
  const { system, out } = JSON.parse(result.stdout) as { system: string; out: string }
  const seconds = (Date.now() - started) / 1000
  const imports: { paths: string[]; error?: string } = withImports
    ? await attributeImports(flake, attributePath, result.log, env)
    : { paths: [] }
  return {
    name,
    system,
    outPath: out,
    seconds,
    builtWhileEvaluating: result.log.built,
    imports: imports.paths,
    importsUnknown: imports.error
  }
}

export type EvalOutcomes = { evaluated: Evaluated[]; failed: EvalFailure[] }

/** What to evaluate, and what it is reported as. */
export interface EvalTarget {
  name: string
  /** Its attribute path in the flake. */
  path: string
}

export interface EvaluateEachOptions {
  /** How many evaluations at once. */
  jobs: number
  onDone?: (outcome: Evaluated | EvalFailure) => void
  /** List each target's imports (import from derivation); without, `imports` is empty. Default true. */
  imports?: boolean
}

/**
 * Each target in its own `nix eval`, `jobs` at a time: a NixOS evaluation takes seconds and
 * gigabytes, and one host that does not evaluate must not hide the others.
 */
export async function evaluateEach(
  flake: string,
  targets: EvalTarget[],
  env: NodeJS.ProcessEnv,
  { jobs, onDone = () => undefined, imports = true }: EvaluateEachOptions
): Promise<EvalOutcomes> {
  const outcomes = await mapLimit(targets, jobs, async target => {
    const outcome = await evaluateDerivation(flake, target.name, target.path, env, imports)
    onDone(outcome)
    return outcome
  })
  return {
    evaluated: outcomes.filter((o): o is Evaluated => 'outPath' in o),
    failed: outcomes.filter((o): o is EvalFailure => 'error' in o)
  }
}

/** Hosts, reported by id, at what each kind switches to. */
export function hostTargets(hosts: Host[]): EvalTarget[] {
  return hosts.map(h => ({ name: h.id, path: attributePath(h) }))
}

/** Pre-warm attributes (e.g. nixosConfigurations.desktop.pkgs.thunderbird), each evaluated like a host, by its path. */
export function attributeTargets(attributes: string[]): EvalTarget[] {
  return attributes.map(a => ({ name: a, path: a }))
}
