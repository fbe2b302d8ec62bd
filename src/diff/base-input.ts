import { parseStorePath } from '../nix/format/store-path.js'

export type DiffBase =
  | { kind: 'off' }
  /** On pull_request events, the merge base of the PR's base and head; otherwise nothing. */
  | { kind: 'auto' }
  /** A git revision of the flake's repository, evaluated here. */
  | { kind: 'revision'; revision: string }
  /** Host → base toplevel, from a job that evaluated the base (the planner's `toplevels` output). */
  | { kind: 'toplevels'; toplevels: Record<string, string> }

// Revisions as git accepts them on a command line, without anything a shell or git would read as an option.
const REVISION = /^[A-Za-z0-9_][A-Za-z0-9_./~^@{}-]*$/

/** Reads `diff-base` (and the CLI's --base); throws a message saying what is wrong. */
export function parseDiffBase(text: string): DiffBase {
  const value = text.trim()
  if (value === '' || value.toLowerCase() === 'false') return { kind: 'off' }
  if (value.toLowerCase() === 'auto') return { kind: 'auto' }
  if (value.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch {
      throw new Error(
        "is not valid JSON: give auto, false, a git revision, or a JSON object of host → toplevel (the planner's toplevels output)"
      )
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('must be a JSON object of host → toplevel store path')
    const toplevels: Record<string, string> = {}
    for (const [host, path] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof path !== 'string' || !isStorePath(path))
        throw new Error(
          `host ${host}: "${String(path)}" is not a store path such as /nix/store/<hash>-nixos-system-${host}`
        )
      toplevels[host] = path
    }
    return { kind: 'toplevels', toplevels }
  }
  if (!isRevision(value))
    throw new Error(`"${value}" is not auto, false, a git revision or a JSON object of host → toplevel`)
  return { kind: 'revision', revision: value }
}

function isStorePath(path: string): boolean {
  try {
    parseStorePath(path)
    return true
  } catch {
    return false
  }
}

/** A git revision as a command line may name it, and nothing git could read as an option or a range. */
export function isRevision(text: string): boolean {
  return text.length <= 256 && REVISION.test(text) && !text.includes('..')
}
