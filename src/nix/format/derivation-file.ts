import { parseStorePath } from './store-path.js'

/**
 * The output paths named at the start of a `.drv` file (`Derive([("out","/nix/store/…","",""),…`),
 * or undefined when the file does not read that way or an output has no fixed path yet
 * (content-addressed derivations): the caller then asks Nix.
 */
export function derivationFileOutputs(text: string): string[] | undefined {
  const head = /^Derive\(\[((?:\("[^"\\]*","[^"\\]*","[^"\\]*","[^"\\]*"\),?)*)\]/.exec(text)
  if (head === null) return undefined
  const outputs: string[] = []
  for (const tuple of head[1].matchAll(/\("[^"]*","([^"]*)","[^"]*","[^"]*"\)/g)) {
    const path = tuple[1]
    if (path === '') return undefined
    try {
      parseStorePath(path)
    } catch {
      return undefined
    }
    outputs.push(path)
  }
  return outputs.length > 0 ? outputs : undefined
}
