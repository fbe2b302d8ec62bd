import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withoutAarch64Binfmt } from '../../harness/hosted/binfmt.js'
import { hostedSession, RUNNER_PATH, type NixMachine } from '../../harness/hosted/session.js'
import {
  builderChroot,
  builderUnavailable,
  ensureBuilderChroot,
  freePort,
  newKeyPair,
  runnerMachineWithSsh,
  startRemoteBuilder,
  type RemoteBuilder
} from '../../harness/remote-builder/builder.js'
import { defaultProfile, newJob, runStep, type RunnerFiles, type StepResult } from '../../harness/runner.js'
import { sampleFlake } from '../../harness/sample-flake.js'
import { sshKeySecretLines } from '../../src/inputs/ssh-key.js'
import { SSH_CONFIG_DIR } from '../../src/machine/builder-ssh.js'
import { runCommand } from '../../src/util/process.js'
import { execWithEnv } from '../support/exec.js'
import { CACHE, inCache, type Server } from '../support/legs.js'
import { realiseInFreshStore } from '../support/nix.js'
import { filesWithSecrets, leaksInStep } from '../support/secrets.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

// The remote builder is a chroot with sshd (harness/remote-builder); the runner is the hosted profile.
const unavailable =
  defaultProfile() === 'hosted' ? builderUnavailable() : 'the hosted runner profile is off (RUNNER_PROFILE=root)'
const describeBuilders = unavailable === undefined ? describe : describe.skip
if (unavailable !== undefined) console.warn(`remote builder e2e skipped: ${unavailable}`)

/** The sample flake, with its aarch64 host built by /bin/sh: its derivations are aarch64-linux, which only a builder that says it builds aarch64-linux (and no QEMU) can take. */
async function flakeWithoutBusybox(): Promise<string> {
  const flake = await sampleFlake()
  await rm(join(flake, 'aarch64'), { recursive: true })
  return flake
}

const nonceOf = async (flake: string): Promise<string> => (await readFile(join(flake, 'nonce.txt'), 'utf8')).trim()

/** The derivations the log says Nix handed to a builder, and to which. */
function handed(stdout: string): { drvs: string[]; builders: string[] } {
  const matches = [...stdout.matchAll(/^building '\/nix\/store\/([^']+\.drv)' on '([^']+)'/gm)]
  return { drvs: [...new Set(matches.map(m => m[1]))].sort(), builders: [...new Set(matches.map(m => m[2]))] }
}

/** Annotations of one level (::error::, ::warning::, ::notice::) in a step's output. */
function annotations(result: StepResult, level: 'error' | 'warning' | 'notice'): string[] {
  return `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter(line => line.startsWith(`::${level}`))
    .map(line => line.replace(/^::[a-z]+[^:]*::/, ''))
}

async function ownSshConfigParts(): Promise<string[]> {
  return (await readdir(SSH_CONFIG_DIR).catch(() => [])).filter(name => name.startsWith('nix-cachix-build-'))
}

describeBuilders('remote builders: a second Nix behind sshd on a loopback port, used by the root nix-daemon', () => {
  let server: Server
  let builder: RemoteBuilder
  let machine: NixMachine
  beforeAll(async () => {
    await ensureBuilderChroot()
    server = await startTestServer([{ name: CACHE, writeTokens: [WRITE_TOKEN] }])
    builder = await startRemoteBuilder({ systems: ['x86_64-linux', 'aarch64-linux'] })
    machine = runnerMachineWithSsh()
  }, 300_000)
  afterAll(async () => {
    await builder?.stop()
    await server?.close()
  })

  const cacheInputs = (): Record<string, string> => ({
    cachix: CACHE,
    'cachix-url': server.url,
    'cachix-auth-token': WRITE_TOKEN
  })
  const builderInputs = (b: RemoteBuilder): Record<string, string> => ({
    builders: b.line,
    'builder-ssh-key': b.clientKey.privateKey,
    'builder-host-keys': b.hostKeyLine
  })

  async function step(
    which: 'main' | 'post',
    job: RunnerFiles,
    cwd: string,
    inputs: Record<string, string>,
    env?: Record<string, string>
  ): Promise<StepResult> {
    return runStep({ step: which, job, cwd, inputs: { ...cacheInputs(), ...inputs }, env })
  }

  /** main, then `during` (while the job's files are there), then post, which runs whatever failed before it. */
  async function job(
    files: RunnerFiles,
    cwd: string,
    inputs: Record<string, string>,
    during: (main: StepResult) => Promise<void>,
    env?: Record<string, string>
  ): Promise<{ main: StepResult; post: StepResult }> {
    const main = await step('main', files, cwd, inputs, env)
    let post: StepResult
    try {
      await during(main)
    } catch (error: unknown) {
      // The step's own words say why it failed (a builder that was busy, a port taken), which the assertion does not.
      if (main.code !== 0) console.error(`main exited ${String(main.code)}:\n${main.stdout.slice(-4000)}`)
      throw error
    } finally {
      post = await step('post', files, cwd, inputs, env)
    }
    return { main, post }
  }

  /** How Nix names the builder: its URI, or before Nix 2.31 the ssh alias that carries its port. */
  const named = (b: RemoteBuilder): RegExp =>
    new RegExp(`^ssh-ng://root@127\\.0\\.0\\.1(?::${b.port}|-port-${b.port})$`)

  /** Nothing of the key anywhere the job or the runner user can see, and none of the action's ssh files, once post ran. */
  async function expectNothingOfTheKeyLeft(
    job: RunnerFiles,
    main: StepResult,
    post: StepResult,
    home: string
  ): Promise<void> {
    const secrets = sshKeySecretLines(builder.clientKey.privateKey)
    const files = JSON.parse(main.state['builder-files'] ?? '[]') as string[]
    for (const file of files) expect(existsSync(file)).toBe(false)
    expect(await ownSshConfigParts()).toEqual([])
    expect(leaksInStep(main, secrets)).toEqual([])
    expect(leaksInStep(post, secrets)).toEqual([])
    expect(await filesWithSecrets(job.dir, secrets)).toEqual([])
    expect(await filesWithSecrets(home, secrets)).toEqual([])
    expect(await readFile(join(job.nixConfDir, 'nix.conf'), 'utf8')).not.toContain('builders')
  }

  it('max-jobs 0: an aarch64 host on an x86 runner is built on the builder, no QEMU registered; pushed, and a fresh store substitutes it; the key is root’s alone and gone after post', async () => {
    await withoutAarch64Binfmt(async () => {
      const flake = await flakeWithoutBusybox()
      const nonce = await nonceOf(flake)
      const files = await newJob(undefined, { machine })
      const session = await hostedSession(machine)
      const inputs = { system: 'aarch64-linux', 'max-jobs': '0', ...builderInputs(builder) }
      const { main, post } = await job(files, flake, inputs, async main => {
        expect(main.code).toBe(0)
        // While the job runs: the key is root's, 0600, in a directory only root enters, named in field 3.
        const keyDir = (JSON.parse(main.state['builder-files']) as string[])[0]
        const dir = await stat(keyDir)
        const key = await stat(join(keyDir, 'id'))
        expect([dir.uid, dir.mode & 0o777, key.uid, key.mode & 0o777]).toEqual([0, 0o700, 0, 0o600])
        const asRunner = session.asRunner(['cat', join(keyDir, 'id')])
        const read = await execWithEnv(asRunner.command, asRunner.args, { PATH: RUNNER_PATH }, [1], '/tmp')
        expect(read.code).not.toBe(0)
        expect(read.stderr).toMatch(/Permission denied/)
        const conf = await readFile(join(files.nixConfDir, 'nix.conf'), 'utf8')
        expect(conf).toMatch(
          new RegExp(
            `^builders = ssh-ng://root@127\\.0\\.0\\.1\\S* x86_64-linux,aarch64-linux ${keyDir}/id 2 - - - \\S+$`,
            'm'
          )
        )
        expect(conf).toContain('\nmax-jobs = 0\n')
        expect(conf).not.toContain('extra-platforms')
        // Nothing reaches later steps' environment.
        for (const file of [files.env, files.path]) expect(await readFile(file, 'utf8')).toBe('')
      })

      // The builder, not QEMU, builds aarch64: the action registered nothing and left the runner's
      // Nix unable to take an aarch64 build (no extra-platforms). The kernel's table itself is shared
      // with whatever else runs on this machine, so the action's own word and nix.conf are what count.
      expect(main.stdout).toContain('No emulation: a remote builder builds aarch64-linux')
      expect(main.stdout).not.toMatch(/Registered \S+ for aarch64/)

      // Every derivation went to the builder, and the builder's own store logged building each.
      const { drvs, builders } = handed(main.stdout)
      expect(builders).toEqual([expect.stringMatching(named(builder))])
      expect(drvs).toHaveLength(4)
      expect((await builder.builtDerivations()).filter(d => d.includes(nonce))).toEqual(drvs)
      expect(main.outputs.built).toBe('4')
      expect(main.outputs['built-remotely']).toBe('4')
      expect(main.summary).toContain(`Built 4 derivations, 4 of them on remote builders (${builders[0]}: 4)`)

      // Its outputs came back to the runner and were pushed like local builds: a fresh store substitutes the host.
      const toplevel = (JSON.parse(main.outputs.hosts) as Record<string, string>).arm
      expect(builder.hasPath(toplevel)).toBe(true)
      expect(await inCache(server, toplevel)).toBe(true)
      expect(main.outputs.coverage).toBe('100%')
      const fresh = await realiseInFreshStore(server.cacheUrl(CACHE), server.publicKeys(CACHE), [toplevel])
      expect(fresh.result.code).toBe(0)

      expect(post.code).toBe(0)
      await expectNothingOfTheKeyLeft(files, main, post, session.user.homeOnHost)
    })
  }, 300_000)

  it('single-user Nix (root on a self-hosted runner): max-jobs 0 builds an x86 host on the builder, with a root-only key', async () => {
    const flake = await flakeWithoutBusybox()
    const nonce = await nonceOf(flake)
    const files = await newJob(undefined, { profile: 'root' })
    // On the Nix 2.34 pass the step's nix must be the one with ssh (the builders' chroot), as on the hosted leg.
    const env =
      machine.kind === 'chroot' ? { PATH: `${await chrootNixBin(machine)}:${process.env.PATH ?? ''}` } : undefined
    const inputs = { hosts: 'alpha', 'max-jobs': '0', ...builderInputs(builder) }
    const { main, post } = await job(
      files,
      flake,
      inputs,
      async main => {
        expect(main.code).toBe(0)
        const keyDir = (JSON.parse(main.state['builder-files']) as string[])[0]
        const modes = [(await stat(keyDir)).mode & 0o777, (await stat(join(keyDir, 'id'))).mode & 0o777]
        expect(modes).toEqual([0o700, 0o600])
      },
      env
    )
    const { drvs } = handed(main.stdout)
    expect(drvs).toHaveLength(4)
    expect((await builder.builtDerivations()).filter(d => d.includes(nonce))).toEqual(drvs)
    expect(main.outputs['built-remotely']).toBe('4')
    const toplevel = (JSON.parse(main.outputs.hosts) as Record<string, string>).alpha
    expect(await inCache(server, toplevel)).toBe(true)
    expect(post.code).toBe(0)
    // HOME is this machine's /root: where ssh would keep anything is its .ssh.
    await expectNothingOfTheKeyLeft(files, main, post, join(files.home, '.ssh'))
  }, 300_000)

  describe('a builder that cannot be used is one line naming it and why', () => {
    it.each([
      [
        'a wrong host key',
        'host-key',
        /its host key is not the one pinned for it \(builder-host-keys or field 8\) \(Host key verification failed\.\)/
      ],
      [
        'a key it refuses',
        'key',
        /it refused the ssh key \(builder-ssh-key or field 3\): is the key's public half in the builder user's authorized_keys\? \(root@127\.0\.0\.1\S*: Permission denied \(publickey\)\.\)/
      ],
      [
        'a dead builder',
        'dead',
        /it cannot be reached \(ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused\)/
      ]
    ] as const)(
      '%s with max-jobs 0: the step fails before evaluating or building anything',
      async (_why, fault, cause) => {
        const flake = await flakeWithoutBusybox()
        const files = await newJob(undefined, { machine })
        const inputs = { hosts: 'alpha', 'max-jobs': '0', ...(await faulty(fault)) }
        const { main, post } = await job(files, flake, inputs, async () => undefined)
        expect(main.code).toBe(1)
        const errors = annotations(main, 'error')
        expect(errors).toHaveLength(1)
        expect(errors[0]).toMatch(
          new RegExp(
            `^builder ssh-ng://root@127\\.0\\.0\\.1:\\d+: ${cause.source}; max-jobs is 0, so no x86_64-linux build can run$`
          )
        )
        expect(main.stdout).not.toContain('Hosts for x86_64-linux')
        expect(main.stdout).not.toMatch(/^building '/m)
        expect(post.code).toBe(0)
        await expectNothingOfTheKeyLeft(files, main, post, (await hostedSession(machine)).user.homeOnHost)
      },
      120_000
    )

    it('a dead builder with max-jobs 1: a one-line warning, and the host builds on the runner', async () => {
      const flake = await flakeWithoutBusybox()
      const files = await newJob(undefined, { machine })
      const inputs = { hosts: 'alpha', 'max-jobs': '1', ...(await faulty('dead')) }
      const { main } = await job(files, flake, inputs, async () => undefined)
      expect(main.code).toBe(0)
      expect(annotations(main, 'warning')).toEqual([
        expect.stringMatching(
          /^builder ssh-ng:\/\/root@127\.0\.0\.1:\d+: it cannot be reached \(ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused\); building without it$/
        )
      ])
      expect(main.outputs.built).toBe('4')
      expect(main.outputs['built-remotely']).toBe('0')
      expect(handed(main.stdout).drvs).toEqual([])
    }, 120_000)
  })

  it('no builder-ssh-key (a pull request from a fork): the leg builds on the runner and says so, max-jobs 0 notwithstanding', async () => {
    const flake = await flakeWithoutBusybox()
    const files = await newJob(undefined, { machine })
    const inputs = { hosts: 'alpha', 'max-jobs': '0', builders: builder.line, 'builder-host-keys': builder.hostKeyLine }
    const { main } = await job(files, flake, inputs, async () => {
      const conf = await readFile(join(files.nixConfDir, 'nix.conf'), 'utf8')
      expect(conf).not.toMatch(/^builders =/m)
      expect(conf).not.toMatch(/^max-jobs = 0$/m)
    })
    expect(main.code).toBe(0)
    expect(annotations(main, 'notice')).toContain(
      `builder-ssh-key is empty (a pull request from a fork gets no secrets): building on this runner instead of on ${builder.uri}, max-jobs 0 notwithstanding`
    )
    expect(main.outputs.built).toBe('4')
    expect(main.outputs['built-remotely']).toBe('0')
    expect(main.state['builder-files']).toBeUndefined()
  }, 120_000)

  /** Inputs for a builder that cannot be used: another host key pinned, another key offered, or nothing listening. */
  async function faulty(fault: 'host-key' | 'key' | 'dead'): Promise<Record<string, string>> {
    const inputs = builderInputs(builder)
    if (fault === 'key') return { ...inputs, 'builder-ssh-key': (await newKeyPair('not authorized')).privateKey }
    if (fault === 'host-key') {
      const other = (await newKeyPair('another host')).publicKey.split(' ').slice(0, 2).join(' ')
      return { ...inputs, 'builder-host-keys': `[127.0.0.1]:${builder.port} ${other}` }
    }
    const port = await freePort()
    return {
      ...inputs,
      builders: builder.line.replace(`:${builder.port} `, `:${port} `),
      'builder-host-keys': builder.hostKeyLine.replace(`:${builder.port} `, `:${port} `)
    }
  }
})

/** Wrappers that run Nix in the builders' chroot (the one with ssh), for a step on this machine. */
async function chrootNixBin(machine: NixMachine & { kind: 'chroot' }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nix-cachix-build-ssh-nix-bin-'))
  await runCommand(machine.tool, ['bin', builderChroot(), dir])
  return dir
}
