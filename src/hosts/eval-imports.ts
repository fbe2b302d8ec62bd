import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../util/errors.js'
import { runCommand } from '../util/process.js'
import { runNix } from '../nix/command.js'
import { parsePathInfoJson } from '../nix/format/path-info.js'
import { NixStore } from '../nix/store.js'
import { errorExcerpt } from './eval-error.js'
import { EVAL_LOG_ARGS, parseEvalLog, type EvalLogParts, type EvalLog, type NamedImport } from '../nix/eval-log.js'

export interface EvaluationImports {
  /** The store paths evaluation read from derivation outputs (their closures are what a machine needs to evaluate). */
  paths: string[]
  /** How they were found: none imported, named by Nix itself, or realised again into a scratch store. */
  how: 'none' | 'named' | 'scratch-store'
  /** Why they could not be listed (the scratch evaluation failed): `paths` is then what Nix named, if anything. */
  error?: string
}

/** The output path of each import Nix named, read from its .drv file (Nix is asked when the file does not say). */
async function namedImportPaths(named: NamedImport[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const store = new NixStore(env)
  const paths = new Set<string>()
  for (const { drvPath, output } of named) {
    const path = await store.derivationOutput(drvPath, output)
    if (path !== undefined) paths.add(path)
  }
  return [...paths]
}

/** Removes a scratch store: Nix makes its store directories read-only. */
async function removeStore(dir: string): Promise<void> {
  await runCommand('chmod', ['-R', 'u+w', dir], { okCodes: [1] }).catch(() => undefined)
  await chmod(dir, 0o755).catch(() => undefined)
  await rm(dir, { recursive: true, force: true })
}

/**
 * What an evaluation imports, found by running it again with a scratch store as its evaluation
 * store: every import is realised into that store (Nix before 2.20 realises imports in the
 * evaluation store, later ones build them in the build store and copy them there), substituted
 * from the local store, where the first evaluation made them valid, and never built (max-jobs 0,
 * no builders). The store then holds the imports' closures, the .drv files evaluation wrote, and
 * the sources it copied; of these, the imports are the paths a derivation made.
 *
 * `nixArgs` is the evaluation as `nix` arguments (`eval …`); it must not already name a store.
 */
export async function probeImports(nixArgs: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'nix-cachix-build-imports-'))
  const store = `local?root=${dir}&require-sigs=false`
  try {
    const evaluated = await runNix(
      [
        ...nixArgs,
        '--eval-store',
        store,
        '--option',
        'substituters',
        'auto?trusted=1',
        '--option',
        'builders',
        '',
        '--max-jobs',
        '0',
        '--option',
        'eval-cache',
        'false'
      ],
      { env, okCodes: [1, 100] }
    )
    // 100: an import that is not valid any more, which max-jobs 0 refuses to build.
    if (evaluated.code !== 0) throw new Error(errorExcerpt(evaluated.stderr))
    const listed = await runNix(['path-info', '--json', '--store', store, '--all'], { env })
    return parsePathInfoJson(JSON.parse(listed.stdout))
      .filter(info => info.deriver !== undefined && !info.path.endsWith('.drv'))
      .map(info => info.path)
  } finally {
    await removeStore(dir)
  }
}

/**
 * The imports of an evaluation whose log is `log`: none when it realised nothing, what Nix named
 * when it named every one, else what evaluating `nixArgs` again into a scratch store realises.
 */
export async function evaluationImports(
  log: EvalLog,
  nixArgs: string[],
  env: NodeJS.ProcessEnv
): Promise<EvaluationImports> {
  if (log.realisations === 0) return { paths: [], how: 'none' }
  if (log.complete) return { paths: await namedImportPaths(log.named, env), how: 'named' }
  try {
    return { paths: await probeImports(nixArgs, env), how: 'scratch-store' }
  } catch (error: unknown) {
    return { paths: await namedImportPaths(log.named, env), how: 'scratch-store', error: errorMessage(error) }
  }
}

/** `nix eval` with its log read (EVAL_LOG_ARGS): exit code 1 is returned, not thrown; `log.text` is what a plain log says. */
export async function evalWithLog(
  args: string[],
  env: NodeJS.ProcessEnv
): Promise<{ code: number; stdout: string; log: EvalLogParts }> {
  // 100: an import from derivation could not be built (max-jobs 0, a failed build); the log says why, in a line.
  const result = await runNix([...args, ...EVAL_LOG_ARGS], { env, okCodes: [1, 100] })
  return { code: result.code, stdout: result.stdout, log: parseEvalLog(result.stderr) }
}

/**
 * The imports of a derivation (a host's toplevel, a pre-warm attribute) whose evaluation logged
 * `log`; when Nix did not name them all, it alone is evaluated again into a scratch store.
 */
export async function attributeImports(
  flake: string,
  attribute: string,
  log: EvalLog,
  env: NodeJS.ProcessEnv
): Promise<EvaluationImports> {
  return evaluationImports(log, ['eval', '--raw', `${flake}#${attribute}.drvPath`], env)
}
