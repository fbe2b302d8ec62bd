import { startCachixServer } from './src/server/cachix-server.js'
import { newJob, runStep } from './local/runner.js'
import { sampleFlake } from './local/sample-flake.js'
import { mkdtemp } from 'node:fs/promises'
const server = await startCachixServer({ dataDir: await mkdtemp('/tmp/srv-'), caches: [{ name: 'demo', writeTokens: ['tok'] }] })
const flake = await sampleFlake()
const job = await newJob()
const r = await runStep({ step: 'main', job, cwd: flake, inputs: { cachix: 'demo', 'cachix-url': server.url, 'cachix-auth-token': 'tok', system: process.argv[2] ?? 'x86_64-linux' } })
console.log(r.stdout.split('\n').filter(l => !l.startsWith('running post')).join('\n').slice(-5000)); console.log('STDERR', r.stderr.slice(-2000))
await server.close()
