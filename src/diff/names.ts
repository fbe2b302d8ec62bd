export interface PackageName {
  /** What `nix store diff-closures` groups by, e.g. "hello" for hello-2.12-bin. */
  name: string
  /** "" when the name carries no version. */
  version: string
  /** An output suffix such as "bin" or "lib64", "" when there is none. */
  output: string
}

// Output names cannot be told apart from version suffixes like "unstable"; Nix accepts that
// ambiguity (diff-closures.cc), and grouping the same way keeps our report comparable with it.
const OUTPUT_SUFFIX = /^(.*)-([a-z]+|lib32|lib64)$/

/**
 * Splits a store path's name the way `nix store diff-closures` does: strip a trailing output
 * name, then cut at the first dash that is followed by anything but an ASCII letter
 * (`builtins.parseDrvName`).
 */
export function parsePackageName(storeName: string): PackageName {
  let rest = storeName
  let output = ''
  const suffix = OUTPUT_SUFFIX.exec(storeName)
  if (suffix) {
    rest = suffix[1]
    output = suffix[2]
  }
  for (let i = 0; i + 1 < rest.length; i++) {
    if (rest[i] === '-' && !/[A-Za-z]/.test(rest[i + 1]))
      return { name: rest.slice(0, i), version: rest.slice(i + 1), output }
  }
  return { name: rest, version: '', output }
}

/** The name part of a store path (after the hash and its dash). */
export function storePathName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1)
  return base.slice(33)
}
