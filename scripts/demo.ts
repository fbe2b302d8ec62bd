// The main job on the embedded default: both legs of the sample fleet (x86_64 and, under
// QEMU, aarch64) run from dist/ as a GitHub runner runs them, push to a local Cachix-compatible
// server, and then a brand-new store proves it can substitute every host with 0 builds.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { realiseInFreshStore } from '../local/fresh-store.js'
import { newJob, runStep } from '../local/runner.js'
import { sampleFlake } from '../local/sample-flake.js'
import { startCachixServer } from '../local/server/cachix-server.js'
import { runCommand } from '../src/util/process.js'

const TOKEN = 'demo-token'
const server = await startCachixServer({
  dataDir: await mkdtemp(join(tmpdir(), 'demo-cache-')),
  caches: [{ name: 'demo', writeTokens: [TOKEN] }]
})
let failed = false
try {
  console.log(`Local Cachix-compatible server at ${server.url} (cache "demo")`)
  const flake = await sampleFlake()
  console.log(`Sample flake: ${flake}`)
  const toplevels: Record<string, string> = {}
  for (const system of ['x86_64-linux', 'aarch64-linux']) {
    const job = await newJob()
    const inputs = { cachix: 'demo', 'cachix-url': server.url, 'cachix-auth-token': TOKEN, system }
    const main = await runStep({ step: 'main', job, cwd: flake, inputs })
    await runStep({ step: 'post', job, cwd: flake, inputs })
    const o = main.outputs
    console.log(
      `${system.padEnd(14)} exit ${main.code}  status ${o.status}  built ${o.built}  pushed ${o.pushed} (${o['pushed-bytes']} bytes)  coverage ${o.coverage}  ${main.seconds.toFixed(1)} s`
    )
    if (main.code !== 0) {
      failed = true
      console.log(
        main.stdout
          .split('\n')
          .filter(l => l.startsWith('::error::') || l.startsWith('::warning::'))
          .join('\n')
      )
    }
    Object.assign(toplevels, JSON.parse(o.hosts ?? '{}') as Record<string, string>)
  }
  const fresh = await realiseInFreshStore(server.cacheUrl('demo'), server.publicKeys('demo'), Object.values(toplevels))
  const builds = (fresh.result.stderr.match(/building '/g) ?? []).length
  const { stdout } = await runCommand(
    'nix-store',
    ['--store', fresh.store, '--query', '--requisites', ...Object.values(toplevels)],
    { okCodes: [1] }
  )
  const substituted = stdout.split('\n').filter(l => l !== '').length
  console.log(`\nFresh store ${fresh.store}, trusting only ${server.publicKeys('demo')[0]}:`)
  for (const [host, path] of Object.entries(toplevels)) console.log(`  ${host.padEnd(6)} ${path}`)
  console.log(
    `  substituted ${substituted} paths with signatures checked, ${builds} local builds: ${fresh.result.code === 0 && builds === 0 ? 'OK' : 'FAILED'}`
  )
  if (fresh.result.code !== 0 || builds !== 0) failed = true
} finally {
  await server.close()
}
process.exitCode = failed ? 1 : 0
