// The main job on the embedded default: both legs of the sample fleet (x86_64 and, under
// QEMU, aarch64) run from dist/ as a GitHub runner runs them, push to a local Cachix-compatible
// server, and then a brand-new store proves it can substitute every host with 0 builds.
// As on cachix.org, the cache counts what its upstream has as present and never stores it: a
// second local binary cache plays cache.nixos.org, with its own key, and holds the x86_64 openssl
// and zlib of the fleet; the hosts list it in nix.settings.substituters.
import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { realiseInFreshStore } from '../harness/fresh-store.js'
import { buildOffline } from '../harness/offline-build.js'
import { distDir, newJob, runStep } from '../harness/runner.js'
import { nonce, sampleFlake } from '../harness/sample-flake.js'
import { startCachixServer } from '../harness/server/cachix-server.js'
import { runCommand } from '../src/util/process.js'

const TOKEN = 'demo-token'
const nixpkgs = await startCachixServer({
  dataDir: await mkdtemp(join(tmpdir(), 'demo-upstream-')),
  caches: [{ name: 'nixpkgs', writeTokens: [TOKEN] }]
})
const server = await startCachixServer({
  dataDir: await mkdtemp(join(tmpdir(), 'demo-cache-')),
  caches: [{ name: 'demo', writeTokens: [TOKEN], upstreamUrl: nixpkgs.cacheUrl('nixpkgs') }]
})
let failed = false
try {
  console.log(`Local Cachix-compatible server at ${server.url} (cache "demo")`)
  console.log(`Its upstream, as cache.nixos.org is to cachix.org: ${nixpkgs.cacheUrl('nixpkgs')}`)
  const flake = await sampleFlake({
    settings: { substituters: [nixpkgs.cacheUrl('nixpkgs')], 'trusted-public-keys': nixpkgs.publicKeys('nixpkgs') },
    upstream: { nonce: nonce(), openssl: '3.0.2' }
  })
  console.log(`Sample flake: ${flake}`)
  // Hydra built the x86_64 packages and pushed them upstream; this machine does not have them.
  const openssl = await buildOffline(`${flake}#nixosConfigurations.alpha.pkgs.openssl`)
  const upstreamPaths = (await runCommand('nix-store', ['--query', '--requisites', openssl])).stdout
    .split('\n')
    .filter(l => l !== '')
  // The CLI's own push, its token in its environment (runCommand keeps credentials from children).
  await promisify(execFile)(
    process.execPath,
    [join(distDir(), 'cli', 'index.js'), 'push', '--cache', 'nixpkgs', '--cachix-url', nixpkgs.url, openssl],
    { env: { ...process.env, CACHIX_AUTH_TOKEN: TOKEN } }
  )
  await runCommand('nix-store', ['--delete', ...upstreamPaths])
  console.log(`Upstream holds ${upstreamPaths.map(p => p.slice(44)).join(' and ')} (x86_64); aarch64 builds its own`)

  const toplevels: Record<string, string> = {}
  for (const system of ['x86_64-linux', 'aarch64-linux']) {
    const job = await newJob()
    const inputs = { cachix: 'demo', 'cachix-url': server.url, 'cachix-auth-token': TOKEN, system }
    const main = await runStep({ step: 'main', job, cwd: flake, inputs })
    await runStep({ step: 'post', job, cwd: flake, inputs })
    const o = main.outputs
    console.log(
      `${system.padEnd(14)} exit ${main.code}  status ${o.status}  built ${o.built}  substituted ${o.substituted}  pushed ${o.pushed} (${o['pushed-bytes']} bytes)  coverage ${o.coverage}  ${main.seconds.toFixed(1)} s`
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
  const caches = [server.cacheUrl('demo'), nixpkgs.cacheUrl('nixpkgs')]
  const keys = [...server.publicKeys('demo'), ...nixpkgs.publicKeys('nixpkgs')]
  const fresh = await realiseInFreshStore(caches, keys, Object.values(toplevels))
  const builds = (fresh.result.stderr.match(/building '/g) ?? []).length
  const { stdout: requisites } = await runCommand(
    'nix-store',
    ['--store', fresh.store, '--query', '--requisites', ...Object.values(toplevels)],
    { okCodes: [1] }
  )
  const substituted = requisites.split('\n').filter(l => l !== '').length
  console.log(`\nFresh store ${fresh.store}, max-jobs = 0, trusting only ${keys.join(' and ')}:`)
  for (const [host, path] of Object.entries(toplevels)) console.log(`  ${host.padEnd(6)} ${path}`)
  console.log(
    `  substituted ${substituted} paths from demo and its upstream with signatures checked, ${builds} local builds: ${fresh.result.code === 0 && builds === 0 ? 'OK' : 'FAILED'}`
  )
  if (fresh.result.code !== 0 || builds !== 0) failed = true
} finally {
  await server.close()
  await nixpkgs.close()
}
process.exitCode = failed ? 1 : 0
