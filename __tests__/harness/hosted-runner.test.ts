import { beforeAll, describe, expect, it } from '@jest/globals'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { hostedSession, RUNNER_PATH, type HostedSession } from '../../harness/hosted/session.js'
import { defaultProfile, newJob, REPO, runnerNode } from '../../harness/runner.js'
import { nonce, sampleFlake } from '../../harness/sample-flake.js'
import { execWithEnv } from '../support/exec.js'

/** A shell command run as a step of the hosted runner would run it. */
async function asStep(
  session: HostedSession,
  script: string,
  cwd = '/tmp'
): Promise<{ stdout: string; stderr: string; code: number }> {
  const step = session.asRunner(['sh', '-c', script])
  return execWithEnv(
    step.command,
    step.args,
    { PATH: RUNNER_PATH, HOME: session.user.home, USER: session.user.name, ...session.stepEnv() },
    [1, 2, 4, 100],
    cwd
  )
}

const whoBuilds = (tag: string): string =>
  `nix-build --no-out-link -E 'derivation { name = "who-${tag}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "/usr/bin/id -un > $out" ]; }'`

// The hosted profile is what the other e2e tests run in; this checks it is the machine it claims.
const describeHosted = defaultProfile() === 'hosted' ? describe : describe.skip

describeHosted('the hosted-runner profile is a GitHub-hosted runner', () => {
  let session: HostedSession
  beforeAll(async () => {
    session = await hostedSession()
    await newJob()
  })

  it('steps run as the non-root runner user, with passwordless sudo, in a workspace and HOME that are its own', async () => {
    const flake = await sampleFlake()
    const job = await newJob()
    const step = await asStep(session, 'id -u; id -un; sudo -n id -u; echo "$HOME"', flake)
    expect(step.stdout.split('\n').slice(0, 4)).toEqual([String(session.user.uid), 'runner', '0', '/home/runner'])
    for (const path of [flake, job.runnerTemp, job.output, session.user.homeOnHost])
      expect((await stat(path)).uid).toBe(session.user.uid)
    expect(session.user.uid).not.toBe(0)
  })

  it('Node 24 runs the bundles, as on GitHub', async () => {
    const step = await asStep(session, `"${runnerNode()}" --version`, REPO)
    expect(step.stdout.trim()).toMatch(process.env.RUNNER_NODE ? /^v\d+\./ : /^v24\./)
  })

  it('Nix is a root nix-daemon reached with NIX_REMOTE=daemon, building as the nixbld users', async () => {
    expect(session.stepEnv().NIX_REMOTE).toBe('daemon')
    const built = await asStep(session, `cat "$(${whoBuilds(nonce())})"`)
    expect(built.code).toBe(0)
    expect(built.stdout.trim()).toMatch(/^nixbld\d+$/)
    const daemon = Number(await readFile(join(session.dir, 'daemon.pid'), 'utf8'))
    expect((await stat(`/proc/${daemon}`)).uid).toBe(0)
  })

  it('the runner is not a trusted user: its substituters are ignored until nix.conf says otherwise', async () => {
    const step = await asStep(
      session,
      'nix-store -r /nix/store/00000000000000000000000000000000-x --option substituters http://127.0.0.1:9 2>&1'
    )
    expect(step.stdout).toMatch(/ignoring untrusted substituter 'http:\/\/127\.0\.0\.1:9'/)
  })

  it('nix.conf belongs to root; only sudo systemctl restart nix-daemon.service restarts the real daemon, which reads it anew', async () => {
    const conf = join(session.confDir, 'nix.conf')
    expect((await stat(conf)).uid).toBe(0)
    expect((await asStep(session, `echo x >> "${conf}"`)).code).not.toBe(0)
    const refused = await asStep(session, 'systemctl restart nix-daemon.service')
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/Access denied/)
    expect((await asStep(session, 'systemctl is-active nix-daemon.service')).stdout.trim()).toBe('active')

    const before = Number(await readFile(join(session.dir, 'daemon.pid'), 'utf8'))
    const restarts = await session.systemctlRestarts()
    const trusted = await asStep(
      session,
      `printf 'extra-trusted-users = runner\\n' | sudo tee -a "${conf}" >/dev/null && sudo systemctl restart nix-daemon.service && nix-store -r /nix/store/00000000000000000000000000000000-x --option substituters http://127.0.0.1:9 2>&1`
    )
    expect(await session.systemctlRestarts()).toBe(restarts + 1)
    expect(Number(await readFile(join(session.dir, 'daemon.pid'), 'utf8'))).not.toBe(before)
    expect(trusted.stdout).not.toMatch(/ignoring untrusted substituter/)
    await newJob()
    expect(await readFile(conf, 'utf8')).not.toContain('extra-trusted-users')
  })

  it('a session ends with the process that began it: its daemon stops', async () => {
    const child = await execWithEnv(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        "const { hostedSession } = await import('./harness/hosted/session.ts'); console.log((await hostedSession()).dir)"
      ],
      { ...process.env, NODE_OPTIONS: '' },
      [],
      REPO
    ).catch((error: unknown) => ({ stdout: '', stderr: String(error), code: 1 }))
    const dir = child.stdout.trim().split('\n').pop() ?? ''
    expect(dir).toMatch(/^\/tmp\/nix-cachix-build-hosted\//)
    const daemon = Number(await readFile(join(dir, 'daemon.pid'), 'utf8'))
    let state = ''
    for (let i = 0; i < 100 && state !== 'inactive'; i++) {
      await sleep(100)
      state = (await readFile(join(dir, 'state'), 'utf8')).trim()
    }
    expect(state).toBe('inactive')
    await expect(stat(`/proc/${daemon}`)).rejects.toThrow()
    // This process's own session still has its shim.
    for (const shim of session.spec.shims) expect((await stat(shim)).mode & 0o111).toBeTruthy()
  })
})

describeHosted("the action's privileged writes, as the runner user", () => {
  it('a root-owned file in a directory the runner owns is written through sudo, not refused', async () => {
    const session = await hostedSession()
    const job = await newJob()
    const file = join(job.runnerTemp, 'root-owned.conf')
    await writeFile(file, 'before\n', { mode: 0o644 })
    const script = `const { writeSystemFile } = await import(${JSON.stringify(join(REPO, 'src/util/privileged.ts'))}); await writeSystemFile(${JSON.stringify(file)}, 'after\\n')`
    const step = session.asRunner([runnerNode(), '--import', 'tsx', '--input-type=module', '-e', script])
    const result = await execWithEnv(
      step.command,
      step.args,
      { PATH: RUNNER_PATH, HOME: session.user.home, ...session.stepEnv() },
      [1],
      REPO
    )
    expect(result.stderr).toBe('')
    expect(await readFile(file, 'utf8')).toBe('after\n')
    expect((await stat(file)).uid).toBe(0)
  })
})
