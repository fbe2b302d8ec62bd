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

/** What one evaluation, or one part of it, said. */
class Reading {
  private readonly text: string[] = []
  private readonly built = new Set<string>()
  private readonly named = new Map<string, NamedImport>()
  private readonly realisations: Realisation[] = []
  // Activity id → the realisation it belongs to (its own, or the one its "builds" count is for).
  private readonly realisationOf = new Map<number, Realisation>()
  private readonly open = new Set<Realisation>()
  private namedSince = 0

  say(plain: string): void {
    const traced = TRACED.exec(plain)
    if (traced !== null) {
      this.named.set(`${traced[1]}^${traced[2]}`, { drvPath: traced[1], output: traced[2] })
      this.namedSince++
    } else if (!UNKNOWN_SETTING.test(plain)) this.text.push(plain)
  }

  take(entry: LogEntry): void {
    const id = entry.id
    if (entry.action === 'start' && typeof id === 'number') {
      if (entry.type === ACT_REALISE) {
        const realisation = { named: this.namedSince, derivations: 0 }
        this.namedSince = 0
        this.realisations.push(realisation)
        this.realisationOf.set(id, realisation)
        this.open.add(realisation)
      } else if (entry.type === ACT_BUILDS) {
        const current = this.realisations.at(-1)
        if (current !== undefined && this.open.has(current)) this.realisationOf.set(id, current)
      }
      if (entry.type === ACT_BUILD && typeof entry.fields?.[0] === 'string') this.built.add(entry.fields[0])
    }
    if (entry.action === 'result' && entry.type === RES_PROGRESS && typeof id === 'number') {
      const realisation = this.realisationOf.get(id)
      const expected = entry.fields?.[1]
      if (realisation !== undefined && typeof expected === 'number')
        realisation.derivations = Math.max(realisation.derivations, expected)
    }
    if (entry.action === 'stop' && typeof id === 'number') {
      const realisation = this.realisationOf.get(id)
      if (realisation !== undefined) this.open.delete(realisation)
    }
  }

  result(): EvalLog {
    // A realisation without derivation goals only fetched a path (a flake input to substitute): no import.
    const imports = this.realisations.filter(r => r.derivations > 0)
    return {
      text: this.text.join('\n'),
      built: [...this.built],
      realisations: imports.length,
      named: [...this.named.values()],
      complete: imports.every(r => r.named > 0 && r.derivations <= r.named)
    }
  }
}

/** What `markEvaluation` makes Nix print before it evaluates a part ("trace: " comes first). */
const MARKER = 'nix-cachix-build evaluates '

/**
 * A Nix expression that is `value`, and says in the log that `name` (an expression for a string)
 * is evaluated from here on: one `nix eval` of several hosts then tells each host's imports apart.
 */
export function markEvaluation(name: string, value: string): string {
  return `builtins.trace "${MARKER}\${${name}}" (${value})`
}

export interface EvalLogParts extends EvalLog {
  /** The log of each part `markEvaluation` marked, by name: from its mark to the next. */
  parts: Map<string, EvalLog>
}

/**
 * Reads an evaluation's stderr written with EVAL_LOG_ARGS; lines that are not log entries are kept
 * as text. An import that several parts share counts for the part that realised it first, unless
 * the others import it anew (each `import` realises its path again).
 */
export function parseEvalLog(stderr: string): EvalLogParts {
  const all = new Reading()
  const parts = new Map<string, Reading>()
  let part: Reading | undefined
  const say = (message: string): void => {
    const plain = message.replace(ANSI, '')
    if (plain.startsWith(`trace: ${MARKER}`)) {
      const name = plain.slice(`trace: ${MARKER}`.length)
      part = parts.get(name) ?? new Reading()
      parts.set(name, part)
      return
    }
    all.say(plain)
    part?.say(plain)
  }
  for (const line of stderr.split('\n')) {
    const entry = entryOf(line)
    if (entry === undefined) {
      if (line.trim() !== '') say(line)
      continue
    }
    if (entry.action === 'msg' && typeof entry.msg === 'string' && (entry.level ?? 0) <= LVL_INFO) say(entry.msg)
    all.take(entry)
    part?.take(entry)
    if (
      entry.action === 'start' &&
      (entry.level ?? 0) <= LVL_INFO &&
      typeof entry.text === 'string' &&
      entry.text !== ''
    )
      say(entry.text)
  }
  return { ...all.result(), parts: new Map([...parts].map(([name, reading]) => [name, reading.result()])) }
}
