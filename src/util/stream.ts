import type { Writable } from 'node:stream'

/** Resolves once `stream` wants more data, or once it is gone (a reader that left never drains). */
export function drainedOrClosed(stream: Writable): Promise<void> {
  return new Promise<void>(resolve => {
    const resume = (): void => {
      stream.off('drain', resume)
      stream.off('close', resume)
      resolve()
    }
    stream.on('drain', resume)
    stream.on('close', resume)
  })
}
