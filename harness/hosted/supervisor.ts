// The service manager of one hosted-profile session, in place of systemd: runs the real
// nix-daemon as root, restarts it on SIGHUP (what the systemctl shim sends), and ends with the
// process that started the session. It writes what systemctl reports:
//   state       active | activating | failed | inactive
//   generation  how many times the daemon has been (re)started and is up again
//   daemon.pid  the daemon's main process
// Run as: node --import tsx harness/hosted/supervisor.ts SESSION_DIR
import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { accepts } from '../net.js'
import { removeShimsIfLast, type SessionSpec } from './session-files.js'

const dir = process.argv[2]
const spec = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as SessionSpec
const log = openSync(join(dir, 'daemon.log'), 'a')
let daemon: ChildProcess | undefined
let generation = 0
let restarting: Promise<void> = Promise.resolve()
let stopping = false

function write(name: string, value: string): void {
  writeFileSync(join(dir, name), `${value}\n`)
}

async function start(): Promise<void> {
  write('state', 'activating')
  const child = spawn(spec.command[0], spec.command.slice(1), { env: spec.env, cwd: '/', stdio: ['ignore', log, log] })
  daemon = child
  child.once('exit', (code, signal) => {
    writeFileSync(log, `supervisor: nix-daemon ${child.pid} exited (${signal ?? code})\n`)
    if (daemon === child && !stopping) {
      daemon = undefined
      write('state', 'failed')
    }
  })
  write('daemon.pid', String(child.pid))
  for (let i = 0; i < 200 && daemon === child; i++) {
    if (await accepts({ path: spec.socket })) {
      generation++
      write('state', 'active')
      write('generation', String(generation))
      return
    }
    await sleep(50)
  }
  write('state', 'failed')
  write('generation', String(++generation))
}

/** Stops the main process only, as nix-daemon.service's KillMode=process does: running builds finish. */
async function stop(): Promise<void> {
  const child = daemon
  daemon = undefined
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  if ((await Promise.race([exited, sleep(10_000, 'timeout')])) === 'timeout') {
    child.kill('SIGKILL')
    await exited
  }
}

async function shutDown(): Promise<never> {
  stopping = true
  await restarting
  await stop()
  write('state', 'inactive')
  removeShimsIfLast(spec, dir)
  process.exit(0)
}

process.on('SIGHUP', () => {
  restarting = restarting.then(async () => {
    writeFileSync(log, `supervisor: restarting nix-daemon\n`)
    await stop()
    if (!stopping) await start()
  })
})
process.on('SIGTERM', () => void shutDown())
process.on('SIGINT', () => void shutDown())

// A session lives as long as the test process that began it, however that ends.
setInterval(() => {
  try {
    process.kill(spec.ownerPid, 0)
  } catch {
    void shutDown()
  }
}, 1000)

write('supervisor.pid', String(process.pid))
await start()
