import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { chmod, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FAKE_GITHUB_TOKEN, newJob, runStep, type RunnerFiles, type StepResult } from '../../harness/runner.js'
import { RUNNER_PATH } from '../../harness/hosted/session.js'
import { sampleFlake } from '../../harness/sample-flake.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'
import { exists } from '../../src/util/fs.js'
import { generateKey } from '../support/keys.js'
import { inCache, type Server } from '../support/legs.js'

const PUBLIC = 'fleet'
const PRIVATE = 'private'
const RUNTIME_TOKEN = 'fake-actions-runtime-token-0123456789'

/** A directory the runner user can read, holding the given executables. */
async function binDir(scripts: Record<string, (self: string) => string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wrappers-'))
  await chmod(dir, 0o755)
  for (const [name, script] of Object.entries(scripts)) {
    await writeFile(join(dir, name), script(dir))
    await chmod(join(dir, name), 0o755)
  }
  return dir
}

/** A directory any user may write to (the steps may run as the runner user). */
async function sharedDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await chmod(dir, 0o777)
  return dir
}

/** Shell lines that set $real to the next `name` on PATH after the wrapper's own directory. */
function findReal(name: string, self: string): string {
  return [
    'real=',
    'IFS=:',
    `for d in $PATH; do [ "$d" = "${self}" ] && continue; if [ -x "$d/${name}" ]; then real="$d/${name}"; break; fi; done`,
    'unset IFS',
    `[ -n "$real" ] || { echo "${name}: not found on PATH" >&2; exit 127; }`
  ].join('\n')
}

/** A `name` that writes its environment to `dumps` and then runs the real one. */
function envRecorder(name: string, dumps: string): (self: string) => string {
  return self => `#!/bin/sh\n${findReal(name, self)}\nenv > "${dumps}/${name}.$$"\nexec "$real" "$@"\n`
}

async function dumpsOf(dir: string): Promise<{ program: string; env: string }[]> {
  const files = await readdir(dir)
  return Promise.all(
    files.map(async file => ({ program: file.split('.')[0], env: await readFile(join(dir, file), 'utf8') }))
  )
}

/** The step's PATH with `dir` first. */
function pathWith(job: RunnerFiles, dir: string): string {
  return `${dir}:${job.profile === 'hosted' ? RUNNER_PATH : (process.env.PATH ?? '')}`
}

describe('hardening: what the action hands its children, leaves behind and notices', () => {
  let server: Server
  let key: { secret: string; public: string }

  beforeAll(async () => {
    key = await generateKey('private-hardening-1')
    server = await startTestServer([
      { name: PUBLIC, writeTokens: [WRITE_TOKEN] },
      {
        name: PRIVATE,
        isPublic: false,
        writeTokens: [WRITE_TOKEN],
        signing: 'self',
        publicKey: key.public.split(':')[1]
      }
    ])
  })
  afterAll(async () => server.close())

  async function steps(
    job: RunnerFiles,
    flake: string,
    inputs: Record<string, string>,
    env: Record<string, string> = {}
  ): Promise<{ main: StepResult; post: StepResult }> {
    const main = await runStep({ step: 'main', job, cwd: flake, inputs, env })
    const post = await runStep({ step: 'post', job, cwd: flake, inputs, env })
    return { main, post }
  }

  it('no child (nix, nix-store, zstd) gets an input, the token, the signing key or the runner token in its environment', async () => {
    const flake = await sampleFlake()
    const dumps = await sharedDir('child-env-')
    // sudo runs only where the step is not root (the hosted profile).
    const wrappers = await binDir(
      Object.fromEntries(['nix', 'nix-store', 'zstd', 'sudo'].map(name => [name, envRecorder(name, dumps)]))
    )
    const inputs = {
      cachix: PRIVATE,
      'cachix-url': server.url,
      'cachix-auth-token': WRITE_TOKEN,
      'cachix-signing-key': key.secret,
      system: 'x86_64-linux',
      hosts: 'alpha'
    }
    const job = await newJob()
    // A workflow may export the token for Cachix's own tools as well; the runner adds its runtime token.
    const env = {
      PATH: pathWith(job, wrappers),
      CACHIX_AUTH_TOKEN: WRITE_TOKEN,
      CACHIX_SIGNING_KEY: key.secret,
      ACTIONS_RUNTIME_TOKEN: RUNTIME_TOKEN
    }
    const { main, post } = await steps(job, flake, inputs, env)
    expect(main.code).toBe(0)
    expect(main.outputs.coverage).toBe('100%')
    expect(Number(main.outputs.pushed)).toBeGreaterThan(0)
    expect(post.code).toBe(0)

    const recorded = await dumpsOf(dumps)
    for (const program of ['nix', 'nix-store', 'zstd'])
      expect(recorded.filter(r => r.program === program).length).toBeGreaterThan(0)
    const secrets = [WRITE_TOKEN, key.secret, key.secret.split(':')[1], FAKE_GITHUB_TOKEN]
    for (const { program, env: text } of recorded) {
      const names = text.split('\n').map(line => line.split('=')[0])
      expect({ program, inputs: names.filter(n => n.startsWith('INPUT_')) }).toEqual({ program, inputs: [] })
      expect({
        program,
        credentials: names.filter(n => n === 'CACHIX_AUTH_TOKEN' || n === 'CACHIX_SIGNING_KEY')
      }).toEqual({ program, credentials: [] })
      expect({ program, secrets: secrets.filter(s => text.includes(s)) }).toEqual({ program, secrets: [] })
      // zstd is started by the push engine without an explicit environment; the others never see the runner's token.
      if (program !== 'zstd')
        expect({ program, runtimeToken: text.includes(RUNTIME_TOKEN) }).toEqual({ program, runtimeToken: false })
    }
  }, 300_000)

  it('post deletes netrc, secrets.conf and the spool even when restoring nix.conf fails (daemon restart refused)', async () => {
    const flake = await sampleFlake()
    const job = await newJob()
    const inputs = {
      cachix: PRIVATE,
      'cachix-url': server.url,
      'cachix-auth-token': WRITE_TOKEN,
      'cachix-signing-key': key.secret,
      system: 'x86_64-linux',
      hosts: 'alpha'
    }
    const main = await runStep({ step: 'main', job, cwd: flake, inputs })
    expect(main.code).toBe(0)
    const work = join(job.runnerTemp, 'nix-cachix-build')
    const secretFiles = ['netrc', 'secrets.conf', 'built.spool'].map(name => join(work, name))
    for (const file of secretFiles) expect(await exists(file)).toBe(true)

    // systemd says the daemon runs, then refuses to restart it (directly as root, or through sudo).
    const refuse = 'echo "Failed to restart nix-daemon.service: Access denied (simulated)" >&2; exit 1'
    const broken = await binDir({
      systemctl: () => `#!/bin/sh\ncase "$1" in is-active) exit 0 ;; restart) ${refuse} ;; esac\nexit 1\n`,
      sudo: self =>
        `#!/bin/sh\nif [ "$1" = systemctl ] && [ "$2" = restart ]; then ${refuse}; fi\n${findReal('sudo', self)}\nexec "$real" "$@"\n`
    })
    const post = await runStep({ step: 'post', job, cwd: flake, inputs, env: { PATH: pathWith(job, broken) } })
    expect(post.code).toBe(0)
    expect(post.stdout).toMatch(/::warning::Clean-up failed: .*Failed to restart nix-daemon.service/)
    for (const file of secretFiles) expect({ file, exists: await exists(file) }).toEqual({ file, exists: false })

    // With a working systemctl a second post finishes the job: nix.conf as it was, the daemon restarted, no work files.
    const again = await runStep({ step: 'post', job, cwd: flake, inputs })
    expect(again.code).toBe(0)
    expect(again.stdout).not.toContain('::warning::')
    expect(await readFile(join(job.nixConfDir, 'nix.conf'), 'utf8')).toBe(job.baseNixConf)
    expect(await readdir(job.runnerTemp)).toEqual([])
  }, 300_000)

  it('a hook that never runs: a warning saying the daemon did not load it, status problems, and the push after the build still completes', async () => {
    const flake = await sampleFlake()
    const inputs = {
      cachix: PUBLIC,
      'cachix-url': server.url,
      'cachix-auth-token': WRITE_TOKEN,
      system: 'x86_64-linux'
    }
    // The client's own setting wins over nix.conf (and a trusted client's is passed to the daemon): no hook runs.
    const { main, post } = await steps(await newJob(), flake, inputs, { NIX_CONFIG: 'post-build-hook =' })
    expect(main.code).toBe(0)
    expect(main.outputs.status).toBe('problems')
    const warnings = main.stdout
      .split('\n')
      .filter(l => l.startsWith('::warning::') && l.includes('post-build-hook never ran'))
    expect(warnings).toHaveLength(1)
    // Said while building (before the count is known) or once nix has exited.
    expect(warnings[0]).toMatch(
      /(A derivation was|6 derivations were) built but the post-build-hook never ran, so nothing was pushed while building: the nix-daemon did not load the hook/
    )
    expect(warnings[0]).toMatch(/run the daemon as systemd's nix-daemon.service/)
    expect(JSON.parse(main.outputs.findings)).toEqual([
      {
        level: 'warning',
        message: expect.stringMatching(/^6 derivations were built but the post-build-hook never ran/)
      }
    ])
    expect(main.summary).toContain('post-build-hook never ran')
    expect(main.outputs.built).toBe('6')
    expect(main.outputs.coverage).toBe('100%')
    const hosts = JSON.parse(main.outputs.hosts) as Record<string, string>
    for (const name of ['alpha', 'beta']) expect(await inCache(server, hosts[name], PUBLIC)).toBe(true)
    expect(post.code).toBe(0)
  }, 300_000)

  it('time-budget with a nix that ignores SIGINT: SIGTERM 10 s later stops it, and what was built is pushed', async () => {
    const flake = await sampleFlake({ slow: true })
    const signals = join(await sharedDir('signals-'), 'log')
    // Stands in for a nix that ignores SIGINT: it passes on SIGTERM only.
    const stubborn = await binDir({
      nix: self =>
        [
          '#!/bin/sh',
          findReal('nix', self),
          '[ "$3" = build ] || exec "$real" "$@"',
          '"$real" "$@" &',
          'pid=$!',
          `trap 'echo "INT $(date +%s)" >> ${signals}' INT`,
          `trap 'echo "TERM $(date +%s)" >> ${signals}; kill -TERM $pid; wait $pid; exit 143' TERM`,
          'status=0',
          'while kill -0 $pid 2>/dev/null; do wait $pid; status=$?; done',
          'exit $status',
          ''
        ].join('\n')
    })
    const inputs = {
      cachix: PUBLIC,
      'cachix-url': server.url,
      'cachix-auth-token': WRITE_TOKEN,
      hosts: 'slow alpha',
      'time-budget': '1',
      'drain-timeout': '30'
    }
    const job = await newJob()
    const { main } = await steps(job, flake, inputs, { PATH: pathWith(job, stubborn) })
    const log = (await readFile(signals, 'utf8').catch(() => '')).split('\n').filter(l => l !== '')
    // On failure, show what the build said about it.
    const said = main.stdout.split('\n').filter(l => /time budget|signal|interrupted|error:|sleeping|^::/.test(l))
    expect({ signals: log.map(l => l.split(' ')[0]), said }).toEqual({ signals: ['INT', 'TERM'], said })
    const [int, term] = log.map(l => Number(l.split(' ')[1]))
    expect(term - int).toBeGreaterThanOrEqual(9)
    expect(term - int).toBeLessThanOrEqual(12)
    expect(main.code).toBe(1)
    expect(main.stdout).toContain(
      'The time budget is reached: stopping the build so what was built can still be pushed.'
    )
    expect(main.stdout).toMatch(/the time budget of 1 min ran out: slow not finished/)
    // The slow host sleeps 60 s: without SIGTERM the step would wait for it.
    expect(main.seconds).toBeLessThan(55)
    const hosts = JSON.parse(main.outputs.hosts) as Record<string, string>
    expect(await inCache(server, hosts.alpha, PUBLIC)).toBe(true)
  }, 300_000)
})
