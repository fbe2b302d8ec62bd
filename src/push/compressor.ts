import { spawn } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { lastLine } from '../util/process.js'

export type CompressionMethod = 'zstd' | 'xz'

export interface Compressor {
  input: Writable
  output: Readable
  done: Promise<void>
  kill: () => void
}

export function compressorArgs(method: CompressionMethod, level: number): [string, string[]] {
  // -T0: as many threads as cores, so one large NAR still uses the whole machine.
  return method === 'zstd' ? ['zstd', ['-q', '-c', `-${level}`, '-T0']] : ['xz', ['-c', `-${level}`, '-T0']]
}

/** The zstd or xz program as a stream stage; both are on every GitHub runner image. */
export function startCompressor(method: CompressionMethod, level: number): Compressor {
  const [command, args] = compressorArgs(method, level)
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  child.stdin.on('error', () => undefined)
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', error => reject(new Error(`could not start ${command} (install the ${method === 'zstd' ? 'zstd' : 'xz-utils'} package): ${error.message}`)))
    child.on('close', code => (code === 0 ? resolve() : reject(new Error(`${command} failed: ${lastLine(stderr) || `exit code ${code}`}`))))
  })
  return { input: child.stdin, output: child.stdout, done, kill: () => child.kill('SIGKILL') }
}
