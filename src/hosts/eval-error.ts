/**
 * What a failed `nix eval` says, in a few lines: the message first, then the first lines from
 * its first `error:` on. Warnings such as a dirty Git tree come before it and say nothing
 * about the failure; newer Nix prints the trace first and the message (its last `error: …`)
 * at the end, where a short excerpt would lose it.
 */
export function errorExcerpt(stderr: string, maxLines = 6): string {
  const lines = stderr
    .split('\n')
    .map(l => l.trimEnd())
    .filter(l => l.trim() !== '')
  const start = lines.findIndex(l => l.startsWith('error:'))
  let from = start < 0 ? lines.filter(l => !l.startsWith('warning:')) : lines.slice(start)
  const message = from
    .filter(l => /^\s*error: \S/.test(l))
    .pop()
    ?.trim()
  if (message !== undefined && from[0] !== message)
    from = [message, ...from.filter(l => l.trim() !== message && l !== 'error:')]
  const shown = from.slice(0, maxLines)
  if (from.length > maxLines) shown.push(`… (${from.length - maxLines} more lines)`)
  return shown.join('\n') || 'nix eval failed without an error message'
}
