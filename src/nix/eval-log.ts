/**
 * What an evaluation says of itself in Nix's machine-readable log (`--log-format internal-json`,
 * the same from 2.8 to 2.34). Import from derivation shows there even when the import is valid
 * already, which a plain log never says: to read a derivation's output, evaluation realises it
 * every time (a "realise" activity whose derivation goals count at least one), and Nix with
 * `trace-import-from-derivation` (2.34 has it, 2.8 has not) names it in a warning just before.
 */

/** Arguments that make `nix eval` write this log on stderr. Nix without the setting ignores it. */
export const EVAL_LOG_ARGS = ['--log-format', 'internal-json', '--option', 'trace-import-from-derivation', 'true']

/** A derivation output an evaluation imported, as Nix names it ("/nix/store/….drv^out"; "!out" before 2.17). */
export interface NamedImport {
  drvPath: string
  output: string
}

export interface EvalLog {
  /** What Nix said at its default verbosity, as a plain log would say it (errors, warnings, "building '…'"). */
  text: string
  /** Derivations built while evaluating, each once, in order. */
  built: string[]
  /** Times evaluation realised derivation outputs to read them, whether valid already or not. */
  realisations: number
  /** Imports Nix named (trace-import-from-derivation), each once, in order. */
  named: NamedImport[]
  /**
   * Whether `named` is surely every import: false when a realisation went unnamed (a Nix without
   * the setting) or counted more derivations than Nix named, which it does when one path is made
   * of several derivations' outputs (Nix names the first) and when it builds an import (its
   * dependencies count too). Then only a scratch store the imports are realised into again lists them.
   */
  complete: boolean
}

// ActivityType and ResultType (src/libutil/logging.hh, unchanged from 2.8 to 2.34).
const ACT_REALISE = 102
const ACT_BUILDS = 104
const ACT_BUILD = 105
const RES_PROGRESS = 105
/** Verbosity of Nix's default log (lvlInfo): what a plain log shows. */
const LVL_INFO = 3

const TRACED =
  /^warning: built '(\/nix\/store\/[^']+\.drv)[\^!]([^']+)' during evaluation due to an import from derivation$/
/** A Nix that predates the setting says so once; the setting is ours, not the user's. */
const UNKNOWN_SETTING = /^warning: unknown setting 'trace-import-from-derivation'$/
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

interface LogEntry {
  action?: string
  id?: number
  type?: number
  level?: number
  text?: string
  msg?: string
  fields?: unknown[]
}

interface Realisation {
  /** Imports Nix named just before it (the warning comes before the realisation starts). */
  named: number
  /** Most derivation goals its progress counted: one per import when they are valid or substituted. */
  derivations: number
}

function entryOf(line: string): LogEntry | undefined {
  if (!line.startsWith('@nix ')) return undefined
  try {
    const parsed: unknown = JSON.parse(line.slice(5))
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined
  } catch {
    return undefined
  }
}

/** Reads an evaluation's stderr written with EVAL_LOG_ARGS; lines that are not log entries are kept as text. */
export function parseEvalLog(stderr: string): EvalLog {
  const text: string[] = []
  const built = new Set<string>()
  const named = new Map<string, NamedImport>()
  const realisations: Realisation[] = []
  // Activity id → the realisation it belongs to (its own, or the one its "builds" count is for).
  const realisationOf = new Map<number, Realisation>()
  const open = new Set<Realisation>()
  let namedSince = 0
  const say = (message: string): void => {
    const plain = message.replace(ANSI, '')
    const traced = TRACED.exec(plain)
    if (traced !== null) {
      named.set(`${traced[1]}^${traced[2]}`, { drvPath: traced[1], output: traced[2] })
      namedSince++
    } else if (!UNKNOWN_SETTING.test(plain)) text.push(plain)
  }
  for (const line of stderr.split('\n')) {
    const entry = entryOf(line)
    if (entry === undefined) {
      if (line.trim() !== '') say(line)
      continue
    }
    if (entry.action === 'msg' && typeof entry.msg === 'string' && (entry.level ?? 0) <= LVL_INFO) say(entry.msg)
    if (entry.action === 'start' && typeof entry.id === 'number') {
      if (entry.type === ACT_REALISE) {
        const realisation = { named: namedSince, derivations: 0 }
        namedSince = 0
        realisations.push(realisation)
        realisationOf.set(entry.id, realisation)
        open.add(realisation)
      } else if (entry.type === ACT_BUILDS) {
        const current = realisations.at(-1)
        if (current !== undefined && open.has(current)) realisationOf.set(entry.id, current)
      }
      if (entry.type === ACT_BUILD && typeof entry.fields?.[0] === 'string') built.add(entry.fields[0])
      if ((entry.level ?? 0) <= LVL_INFO && typeof entry.text === 'string' && entry.text !== '') say(entry.text)
    }
    if (entry.action === 'result' && entry.type === RES_PROGRESS && typeof entry.id === 'number') {
      const realisation = realisationOf.get(entry.id)
      const expected = entry.fields?.[1]
      if (realisation !== undefined && typeof expected === 'number')
        realisation.derivations = Math.max(realisation.derivations, expected)
    }
    if (entry.action === 'stop' && typeof entry.id === 'number') {
      const realisation = realisationOf.get(entry.id)
      if (realisation !== undefined) open.delete(realisation)
    }
  }
  // A realisation without derivation goals only fetched a path (a flake input to substitute): no import.
  const imports = realisations.filter(r => r.derivations > 0)
  return {
    text: text.join('\n'),
    built: [...built],
    realisations: imports.length,
    named: [...named.values()],
    complete: imports.every(r => r.named > 0 && r.derivations <= r.named)
  }
}
