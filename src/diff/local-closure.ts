import type { PathFacts } from '../cachix/closure-walk.js'
import type { PathInfo } from '../nix/format/path-info.js'

export interface LocalStore {
  isValid(path: string): Promise<boolean>
  closure(paths: string[]): Promise<string[]>
  pathInfos(paths: string[]): Promise<Map<string, PathInfo>>
}

/** The closure of `root` from the local store (no FileSize there), or undefined when the store lacks it. */
export async function localClosure(store: LocalStore, root: string): Promise<Map<string, PathFacts> | undefined> {
  if (!(await store.isValid(root))) return undefined
  const paths = await store.closure([root])
  const infos = await store.pathInfos(paths)
  const facts = new Map<string, PathFacts>()
  for (const path of paths) {
    const info = infos.get(path)
    if (info === undefined)
      throw new Error(`nix path-info knows nothing of ${path}, which is in the closure of ${root}`)
    facts.set(path, { narSize: info.narSize, references: info.references })
  }
  return facts
}
