/** Finds our comment among a pull request's comments; never shown. */
export const COMMENT_MARKER = '<!-- nix-cachix-build:closure-diff -->'

export interface CommentSection {
  host: string
  /** The head commit the section was computed for. */
  commit: string
  markdown: string
}

// GitHub refuses comment bodies over 65,536 characters.
const MAX_BODY = 60_000
const SECTION = /<!-- nix-cachix-build:host (\S+) commit (\S*) -->\n([\s\S]*?)\n<!-- nix-cachix-build:end \1 -->/g

export function parseSections(body: string): CommentSection[] {
  return [...body.matchAll(SECTION)].map(m => ({ host: m[1], commit: m[2], markdown: m[3] }))
}

function shorten(markdown: string, limit: number): string {
  if (markdown.length <= limit) return markdown
  const cut = markdown.lastIndexOf('\n', limit)
  return `${markdown.slice(0, cut > 0 ? cut : limit)}\n\n…(shortened to fit a comment; the job summary has it all)`
}

/**
 * The sticky comment's body: this run's host sections replace those of the same hosts, the
 * other hosts' sections (other matrix legs) stay, marked when they belong to an earlier commit.
 */
export function mergeComment(existing: string | undefined, fresh: CommentSection[], title: string): string {
  const byHost = new Map<string, CommentSection>()
  for (const section of parseSections(existing ?? '')) byHost.set(section.host, section)
  for (const section of fresh) byHost.set(section.host, section)
  const commit = fresh[0]?.commit
  const sections = [...byHost.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
  const budget = Math.floor((MAX_BODY - title.length - 200) / Math.max(1, sections.length)) - 300
  const parts = [COMMENT_MARKER, title, '']
  for (const section of sections) {
    if (commit !== undefined && section.commit !== commit) {
      parts.push(
        `_${section.host}: from an earlier commit \`${section.commit.slice(0, 12)}\`; its result for this commit is not in yet._`,
        ''
      )
    }
    parts.push(
      `<!-- nix-cachix-build:host ${section.host} commit ${section.commit} -->`,
      shorten(section.markdown, budget),
      `<!-- nix-cachix-build:end ${section.host} -->`,
      ''
    )
  }
  return parts.join('\n')
}

/** Whether `body` holds every one of `sections` as written (another leg may have overwritten them). */
export function holdsSections(body: string, sections: CommentSection[]): boolean {
  const present = parseSections(body)
  return sections.every(s => present.some(p => p.host === s.host && p.commit === s.commit))
}
