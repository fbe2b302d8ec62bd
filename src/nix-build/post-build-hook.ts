/**
 * The post-build-hook script. Nix runs it after every local build and blocks its build loop
 * until it returns (≤2.34), and a failing hook stops further builds, so it only appends one
 * line to the spool and always exits 0. The action reads the spool and does the network work.
 * Nix 2.8.0 passes an empty OUT_PATHS, so DRV_PATH is recorded too.
 */
export function renderHookScript(spoolFile: string, chainedHook?: string): string {
  const quoted = shellQuote(spoolFile)
  const lines = [
    '#!/bin/sh',
    '# Written by nix-cachix-build: records what Nix built; never networks, never fails.',
    `printf '%s %s\\n' "$DRV_PATH" "$OUT_PATHS" >> ${quoted} 2>/dev/null`
  ]
  if (chainedHook !== undefined) lines.push(`${shellQuote(chainedHook)} >&2 || true`)
  lines.push('exit 0', '')
  return lines.join('\n')
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

export interface SpoolEntry {
  drvPath: string
  outPaths: string[]
}

/** Splits complete spool lines; a trailing partial line is left for the next read. */
export function parseSpool(text: string): { entries: SpoolEntry[]; rest: string } {
  const lastNewline = text.lastIndexOf('\n')
  const complete = lastNewline >= 0 ? text.slice(0, lastNewline) : ''
  const rest = text.slice(lastNewline + 1)
  const entries: SpoolEntry[] = []
  for (const line of complete.split('\n')) {
    const words = line
      .trim()
      .split(/\s+/)
      .filter(w => w !== '')
    if (words.length === 0 || !words[0].startsWith('/')) continue
    entries.push({ drvPath: words[0], outPaths: words.slice(1) })
  }
  return { entries, rest }
}
