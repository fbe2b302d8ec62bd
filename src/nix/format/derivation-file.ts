import { parseStorePath } from './store-path.js'

/**
 * The outputs named at the start of a `.drv` file (`Derive([("out","/nix/store/…","",""),…`),
 * name → path, or undefined when the file does not read that way or an output has no fixed path
 * yet (content-addressed derivations): the caller then asks Nix.
 */
export function derivationFileOutputMap(text: string): Map<string, string> | undefined {
  const head = /^Derive\(\[((?:\("[^"\\]*","[^"\\]*","[^"\\]*","[^"\\]*"\),?)*)\]/.exec(text)
  if (head === null) return undefined
  const outputs = new Map<string, string>()
  for (const tuple of head[1].matchAll(/\("([^"]*)","([^"]*)","[^"]*","[^"]*"\)/g)) {
    const path = tuple[2]
    if (path === '') return undefined
    try {
      parseStorePath(path)
    } catch {
      return undefined
    }
    outputs.set(tuple[1], path)
  }
  return outputs.size > 0 ? outputs : undefined
}
