// Runs the local Cachix-compatible server on its own, e.g. for the e2e workflow:
//   tsx harness/server-cli.ts --port 8080 --dir /tmp/cache --cache fleet:TOKEN [--faults 0.2] [--upstream fleet=URL]
// It prints one JSON line: {url, caches: {name: {uri, publicKeys}}} and serves until killed.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startCachixServer, type LocalCacheConfig } from './server/cachix-server.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string' },
    cache: { type: 'string', multiple: true, default: ['local:local-token'] },
    faults: { type: 'string' },
    // NAME=URL: the binary cache whose paths count as present upstream of cache NAME.
    upstream: { type: 'string', multiple: true, default: [] }
  }
})
const upstreams = new Map(
  (values.upstream ?? []).map(spec => {
    const match = /^([^=]+)=(https?:\/\/.+)$/.exec(spec)
    if (match === null) {
      process.stderr.write(`--upstream ${spec}: give NAME=URL, e.g. fleet=http://127.0.0.1:8081/cache/nixpkgs\n`)
      process.exit(2)
    }
    return [match[1], match[2]]
  })
)
const caches: LocalCacheConfig[] = (values.cache ?? []).map(spec => {
  const [name, token] = spec.split(':')
  return { name, writeTokens: token ? [token] : [], upstreamUrl: upstreams.get(name) }
})
const rate = values.faults === undefined ? 0 : Number(values.faults)
const server = await startCachixServer({
  dataDir: values.dir ?? (await mkdtemp(join(tmpdir(), 'cachix-server-'))),
  caches,
  host: values.host,
  port: Number(values.port),
  faults:
    rate > 0 ? { errorRate: rate / 2, throttleRate: rate / 4, resetRate: rate / 4, retryAfterSeconds: 1 } : undefined,
  log: line => process.stderr.write(`${line}\n`)
})
const described = Object.fromEntries(
  caches.map(c => [c.name, { uri: server.cacheUrl(c.name), publicKeys: server.publicKeys(c.name) }])
)
process.stdout.write(`${JSON.stringify({ url: server.url, caches: described })}\n`)
const stop = (): void => {
  void server.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
