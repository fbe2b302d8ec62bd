export interface PackageChange {
  name: string
  /** Versions that only the base has ("" is a name without a version); for a rebuild, the rebuilt versions. */
  before: string[]
  /** Versions that only the head has; for a rebuild, the rebuilt versions. */
  after: string[]
  /** NarSize of the package's paths in the head minus in the base. */
  sizeDelta: number
}

export interface ClosureTotals {
  paths: number
  narSize: number
}

export interface ClosureDiff {
  /** Same name, other versions. */
  changed: PackageChange[]
  added: PackageChange[]
  removed: PackageChange[]
  /** Same name and versions, other store paths. */
  rebuilt: PackageChange[]
  before: ClosureTotals
  after: ClosureTotals
  /** What a machine running the base fetches to switch: the head's paths the base closure lacks. */
  download: {
    paths: number
    /** Sum of FileSize of those paths, from the cache's narinfo or, for upstream paths, the substituter's. */
    fileSize: number
    /** Those paths neither the cache nor the substituters asked have (with a FileSize): they would be built. */
    sizeUnknown: string[]
  }
}

export type HostDiff =
  | { host: string; outcome: 'compared'; base: string; head: string; diff: ClosureDiff }
  /** The base toplevel is not in the cache: nothing is guessed. */
  | { host: string; outcome: 'base-not-in-cache'; base: string; head: string }
  /** The base toplevel is, but paths of its closure are not (garbage-collected). */
  | { host: string; outcome: 'base-incomplete'; base: string; head: string; missing: string[] }
  /** The host does not exist at the base (new in this change). */
  | { host: string; outcome: 'new-host'; head: string }
  /** The head's toplevel is neither in the local store nor in the cache. */
  | { host: string; outcome: 'head-unavailable'; base?: string; head: string }
  | { host: string; outcome: 'failed'; base?: string; head: string; message: string }
