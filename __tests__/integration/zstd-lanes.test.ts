import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compressorName } from '../../src/push/upload/compressor.js'
import { decompressWithTool } from '../../src/push/upload/zstd-in-process.js'
import { lanesProblem, openLaneCompressor } from '../../src/push/upload/zstd-lanes.js'
import { runCommand } from '../../src/util/process.js'
import { expectSubstitutedWhole, nixBuild, nonce } from '../support/nix.js'
import { REPO, runModuleScript, sourceModule } from '../support/module-script.js'
import { makePusher } from '../support/push.js'
import { startTestServer, WRITE_TOKEN } from '../support/server.js'

const MiB = 1024 * 1024

/** Every run of the zstd program, one line each, through a wrapper first on PATH. */
async function countingZstd(dir: string): Promise<{ starts: () => Promise<string[]> }> {
  const real = (await runCommand('sh', ['-c', 'command -v zstd'])).stdout.trim()
  const log = join(dir, 'zstd-starts')
  await writeFile(log, '')
  const wrapper = join(dir, 'zstd')
  await writeFile(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`)
  await chmod(wrapper, 0o755)
  return { starts: async () => (await readFile(log, 'utf8')).split('\n').filter(l => l !== '') }
}

function frame(bytes: Buffer): { bytes: Buffer; release: () => void; recycle: () => void } {
  return { bytes, release: () => undefined, recycle: () => undefined }
}

describe('long-lived zstd programs (lanes)', () => {
  const before = { zstd: process.env.NIX_CACHIX_BUILD_ZSTD, path: process.env.PATH }
  let dir: string
  let starts: () => Promise<string[]>

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lanes-test-'))
    starts = (await countingZstd(dir)).starts
    // Decided once per module instance: this file's engine is the program from here on, and
    // every zstd it starts goes through the wrapper.
    process.env.NIX_CACHIX_BUILD_ZSTD = 'process'
    process.env.PATH = `${dir}:${before.path ?? ''}`
  })
  afterAll(async () => {
    if (before.zstd === undefined) delete process.env.NIX_CACHIX_BUILD_ZSTD
    else process.env.NIX_CACHIX_BUILD_ZSTD = before.zstd
    process.env.PATH = before.path
    await rm(dir, { recursive: true, force: true })
  })

  it('work here, and a push of 31 paths starts a few programs, not one per path; real Nix substitutes every path', async () => {
    expect(await lanesProblem(2)).toBeUndefined()
    expect(await compressorName('zstd')).toMatch(/^zstd program, long-lived/)
    const server = await startTestServer([{ name: 'lanes', writeTokens: [WRITE_TOKEN] }], { verifyNars: false })
    try {
      const tag = nonce()
      const expression = `let part = n: derivation { name = "part-${tag}-\${toString n}"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "mkdir $out; head -c \${toString (n * 9000 + 1)} /dev/urandom > $out/data; echo \${toString n} > $out/n" ]; };
        in derivation { name = "parts-${tag}"; system = "x86_64-linux"; builder = "/bin/sh"; parts = map part (builtins.genList (n: n) 30); args = [ "-c" "echo $parts > $out" ]; }`
      const [root] = await nixBuild(expression)
      const startsBefore = (await starts()).length
      const { pusher } = await makePusher({ baseUrl: server.url, cacheName: 'lanes', authToken: WRITE_TOKEN, jobs: 8 })
      pusher.add([root])
      const report = await pusher.drain(90_000)
      expect(report.failures).toEqual([])
      expect(report.uploaded).toBe(31)
      // One program per lane (two lanes on two cores, four on four), where one per path made 31.
      const compressing = (await starts()).slice(startsBefore).filter(args => !args.includes('-d'))
      expect(compressing.length).toBeGreaterThanOrEqual(1)
      expect(compressing.length).toBeLessThanOrEqual(4)
      // Each NAR is its own frame, whole: real Nix checks every NAR hash and signature.
      await expectSubstitutedWhole(server, 'lanes', root)
    } finally {
      await server.close()
    }
  })

  it('an upload cut off mid-stream leaves its lane usable: the next input through it comes back whole', async () => {
    const dropped: Buffer[] = []
    const cut = await openLaneCompressor(2, async chunk => void dropped.push(Buffer.from(chunk)))
    const startsBefore = (await starts()).length
    await cut.consume(frame(Buffer.alloc(3 * MiB, 'cut off ')))
    await cut.abort()
    const kept: Buffer[] = []
    const next = await openLaneCompressor(2, async chunk => void kept.push(Buffer.from(chunk)))
    const input = Buffer.from('the next input, whole '.repeat(100_000))
    await next.consume(frame(input))
    await next.end()
    expect((await decompressWithTool(Buffer.concat(kept))).equals(input)).toBe(true)
    // No new program was needed for it (only `zstd -d`, the check above, ran).
    expect((await starts()).slice(startsBefore).filter(args => !args.startsWith('-d'))).toEqual([])
  })

  it('an output that fails stops its upload, and the lane still serves the next one', async () => {
    const failing = await openLaneCompressor(2, () => Promise.reject(new Error('part upload failed')))
    await failing.consume(frame(Buffer.alloc(MiB, 7)))
    await expect(failing.end()).rejects.toThrow('part upload failed')
    const kept: Buffer[] = []
    const next = await openLaneCompressor(2, async chunk => void kept.push(Buffer.from(chunk)))
    await next.consume(frame(Buffer.from('after a failure')))
    await next.end()
    expect((await decompressWithTool(Buffer.concat(kept))).toString()).toBe('after a failure')
  })

  it('do not keep a process alive once its uploads are done', async () => {
    const { code, stdout } = await runModuleScript(
      `const { openLaneCompressor } = await import(${sourceModule('push', 'upload', 'zstd-lanes.ts')})\n` +
        `const lane = await openLaneCompressor(2, async () => undefined)\n` +
        `await lane.consume({ bytes: Buffer.alloc(1 << 20), release() {}, recycle() {} })\n` +
        `await lane.end()\nconsole.log('done')\n`
    )
    expect(stdout).toContain('done')
    expect(code).toBe(0)
  })

  it('where they cannot run (no stdbuf, as on macOS), one zstd per path compresses instead, and says why', async () => {
    // A PATH with every program a lane needs but stdbuf.
    const bin = await mkdtemp(join(tmpdir(), 'no-stdbuf-'))
    try {
      for (const program of ['sh', 'mkfifo', 'cat', 'zstd'])
        await symlink((await runCommand('sh', ['-c', `command -v ${program}`])).stdout.trim(), join(bin, program))
      const { code, stdout } = await runModuleScript(
        `const compressor = await import(${sourceModule('push', 'upload', 'compressor.ts')})\n` +
          `const { decompressWithTool } = await import(${sourceModule('push', 'upload', 'zstd-in-process.ts')})\n` +
          `console.log(await compressor.compressorName('zstd'))\n` +
          `const out = []\n` +
          `const c = await compressor.openCompressor('zstd', 2, async chunk => void out.push(Buffer.from(chunk)), new AbortController().signal)\n` +
          `await c.consume({ bytes: Buffer.from('per path'), release() {}, recycle() {} })\n` +
          `await c.end()\n` +
          `console.log((await decompressWithTool(Buffer.concat(out))).toString())\n`,
        { ...process.env, PATH: bin, NIX_CACHIX_BUILD_ZSTD: 'process' }
      )
      expect(code).toBe(0)
      expect(stdout).toMatch(
        /^zstd process per path \(NIX_CACHIX_BUILD_ZSTD=process; no long-lived program: .*stdbuf: not found\)\)\nper path\n$/
      )
    } finally {
      await rm(bin, { recursive: true, force: true })
    }
  })

  it('its programs end when this process is killed while they wait for input', async () => {
    const own = await mkdtemp(join(tmpdir(), 'lanes-killed-'))
    try {
      const script = join(own, 'hold.mts')
      await writeFile(
        script,
        `import { openLaneCompressor } from '${join(REPO, 'src/push/upload/zstd-lanes.ts')}'\n` +
          `const lane = await openLaneCompressor(2, async () => undefined)\n` +
          `await lane.consume({ bytes: Buffer.from('x'), release() {}, recycle() {} })\n` +
          // Its input done, zstd waits to open the next one: nothing would ever wake it.
          `await lane.end()\n` +
          `console.log('ready')\nsetInterval(() => undefined, 1000)\n`
      )
      // node itself runs the script (tsx only as its loader), so the kill reaches the process that holds the lane.
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: REPO,
        env: { ...process.env, TMPDIR: own },
        stdio: ['ignore', 'pipe', 'inherit']
      })
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve())
        child.once('exit', code => reject(new Error(`the holder exited early (${code})`)))
      })
      const lanePrograms = async (): Promise<number> => {
        let count = 0
        for (const pid of (await readdir('/proc')).filter(p => /^\d+$/.test(p))) {
          const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
          if (cmdline.startsWith('zstd') || cmdline.includes('/zstd\0')) if (cmdline.includes(own)) count++
        }
        return count
      }
      expect(await lanePrograms()).toBe(1)
      child.kill('SIGKILL')
      let left = 1
      for (let i = 0; i < 50 && left > 0; i++) {
        await new Promise(resolve => setTimeout(resolve, 100))
        left = await lanePrograms()
      }
      expect(left).toBe(0)
    } finally {
      await rm(own, { recursive: true, force: true })
    }
  })
})
