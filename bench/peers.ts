import { nixInstalls, nodeRuntimes, type NixInstall, type NodeRuntime } from './runtimes.js'

/** One pusher under test: ours under a Node and with a Nix's store, or that Nix's `nix copy`. */
export interface Peer {
  id: string
  label: string
  kind: 'ours' | 'nix'
  nix: NixInstall
  node?: NodeRuntime
  /** Store settings of a `nix copy` peer beyond compression and its level (added to the store URI). */
  storeSettings?: Record<string, string>
}

/**
 * BENCH_VARIANT: engine knobs (`NAME=VALUE`, space-separated) for a second run of each of our
 * pushers, right after the first: a step of the engine against the one before it, in the same
 * minutes (e.g. NIX_CACHIX_BUILD_HASH=main).
 */
function variantFromEnv(): Record<string, string> | undefined {
  const text = process.env.BENCH_VARIANT?.trim()
  if (!text) return undefined
  const settings: Record<string, string> = {}
  for (const word of text.split(/\s+/)) {
    const at = word.indexOf('=')
    if (at <= 0) throw new Error(`BENCH_VARIANT: "${word}" is not NAME=VALUE`)
    settings[word.slice(0, at)] = word.slice(at + 1)
  }
  return settings
}

/** Each of our pushers followed by its variant (id + "v"), when BENCH_VARIANT asks for one. */
function withVariants(peers: Peer[]): Peer[] {
  const variant = variantFromEnv()
  if (variant === undefined) return peers
  const tag = Object.entries(variant)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ')
  return peers.flatMap(peer =>
    peer.kind === 'ours'
      ? [
          peer,
          {
            ...peer,
            id: `${peer.id}v`,
            label: `${peer.label}, ${tag}`,
            nix: { ...peer.nix, env: { ...peer.nix.env, ...variant } }
          }
        ]
      : [peer]
  )
}

/** BENCH_PEERS: a comma-separated subset of peer ids, to look at a few sides quickly; unset, all. */
function wantedPeers(): string[] | undefined {
  const text = process.env.BENCH_PEERS?.trim()
  return text ? text.split(',').map(s => s.trim()) : undefined
}

/**
 * The pushers every throughput comparison runs, in the order they take turns: each Node
 * against the Nix whose store it reads, so every ratio compares runs of the same minutes.
 */
export async function pushPeers(log: (line: string) => void): Promise<Peer[]> {
  const { node24, node20 } = await nodeRuntimes()
  const { host, modern, modernProblem } = await nixInstalls()
  if (modernProblem) log(modernProblem)
  const peers: Peer[] = [
    { id: 'o24h', label: `ours ${node24.label}, ${host.label} store`, kind: 'ours', nix: host, node: node24 },
    { id: 'nh', label: `${host.label} copy`, kind: 'nix', nix: host },
    { id: 'o20h', label: `ours ${node20.label}, ${host.label} store`, kind: 'ours', nix: host, node: node20 }
  ]
  if (modern) {
    peers.push({
      id: 'o24m',
      label: `ours ${node24.label}, ${modern.label} store`,
      kind: 'ours',
      nix: modern,
      node: node24
    })
    peers.push({ id: 'nm', label: `${modern.label} copy`, kind: 'nix', nix: modern })
    // Nix 2.35's default: the http store compresses with several zstd threads.
    peers.push({
      id: 'nmp',
      label: `${modern.label} copy, parallel`,
      kind: 'nix',
      nix: modern,
      storeSettings: { 'parallel-compression': 'true' }
    })
  }
  const wanted = wantedPeers()
  const all = withVariants(peers)
  return wanted === undefined ? all : all.filter(p => wanted.includes(p.id))
}

/** A cache name per peer and run, so every timed push starts from an empty cache. */
export function cacheName(peer: Peer, run: number): string {
  return `${peer.id}-r${run}`
}

export function runsFor(runs: number): number[] {
  return Array.from({ length: Math.max(1, runs) }, (_, i) => i + 1)
}
