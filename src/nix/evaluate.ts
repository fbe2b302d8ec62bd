import { attributePath, type Host } from './configurations.js'
import { errorExcerpt } from './eval-error.js'
import { availableParallelism } from 'node:os'
import { mapLimit } from '../util/queue.js'
import { runNix } from './command.js'

export interface Evaluated {
  name: string
  system: string
  outPath: string
  seconds: number
}

export interface EvalFailure {
  name: string
  /** The first lines of Nix's error. */
  error: string
}

/**
 * The environment of `jobs` evaluations at once: Boehm's collector marks with a thread per core
 * in every evaluation, and two evaluations on two cores then spend more time in the kernel than
 * evaluating (measured: two at once 2.1 s, 2.5 s of it system time, against 0.9 s for one), so
 * the cores are shared out between them. A GC_MARKERS the caller set is kept.
 */
export function concurrentEvalEnv(env: NodeJS.ProcessEnv, jobs: number, cores = availableParallelism()): NodeJS.ProcessEnv {
  if (env.GC_MARKERS !== undefined || jobs <= 1) return env
  return { ...env, GC_MARKERS: String(Math.max(1, Math.floor(cores / jobs))) }
}

async function evaluateHost(flake: string, host: Host, env: NodeJS.ProcessEnv): Promise<Evaluated | EvalFailure> {
  return evaluateDerivation(flake, host.id, attributePath(host), env)
}

/** One derivation's system and output path, in a `nix eval` of its own; `name` is what it is reported as. */
async function evaluateDerivation(flake: string, name: string, attributePath: string, env: NodeJS.ProcessEnv): Promise<Evaluated | EvalFailure> {
  const started = Date.now()
  const attribute = `${flake}#${attributePath}`
  const result = await runNix(['eval', '--json', attribute, '--apply', 't: { system = t.system; out = t.outPath; }'], { env, okCodes: [1] })
  if (result.code !== 0) return { name, error: errorExcerpt(result.stderr) }
  const { system, out } = JSON.parse(result.stdout) as { system: string; out: string }
  return { name, system, outPath: out, seconds: (Date.now() - started) / 1000 }
}

/**
 * Each host in its own `nix eval`, `jobs` at a time: a NixOS evaluation takes seconds and
 * gigabytes, and one host that does not evaluate must not hide the others.
 */
export async function evaluateHosts(flake: string, hosts: Host[], jobs: number, env: NodeJS.ProcessEnv, onDone: (outcome: Evaluated | EvalFailure) => void = () => undefined): Promise<{ evaluated: Evaluated[]; failed: EvalFailure[] }> {
  const shared = concurrentEvalEnv(env, Math.min(jobs, hosts.length))
  const outcomes = await mapLimit(hosts, jobs, async host => {
    const outcome = await evaluateHost(flake, host, shared)
    onDone(outcome)
    return outcome
  })
  return {
    evaluated: outcomes.filter((o): o is Evaluated => 'outPath' in o),
    failed: outcomes.filter((o): o is EvalFailure => 'error' in o)
  }
}

/** Pre-warm attributes (e.g. nixosConfigurations.desktop.pkgs.thunderbird), each evaluated like a host, by its path. */
export async function evaluateAttributes(
  flake: string,
  attributes: string[],
  jobs: number,
  env: NodeJS.ProcessEnv,
  onDone: (outcome: Evaluated | EvalFailure) => void = () => undefined
): Promise<{ evaluated: Evaluated[]; failed: EvalFailure[] }> {
  const shared = concurrentEvalEnv(env, Math.min(jobs, attributes.length))
  const outcomes = await mapLimit(attributes, jobs, async attribute => {
    const outcome = await evaluateDerivation(flake, attribute, attribute, shared)
    onDone(outcome)
    return outcome
  })
  return {
    evaluated: outcomes.filter((o): o is Evaluated => 'outPath' in o),
    failed: outcomes.filter((o): o is EvalFailure => 'error' in o)
  }
}
