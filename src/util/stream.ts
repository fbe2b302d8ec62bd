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

/** A buffer on its way into a pipe, with a reservation to end and memory to give back (push/upload's Frame). */
interface PipedBuffer {
  bytes: Buffer
  release(): void
  recycle(): void
}

/**
 * Writes `frame` into a compressor's input pipe; throws what `failure` reports, before or after.
 * The frame's reservation ends once the pipe has it, not once the pipe has taken it in: the pipe
 * drains only as fast as the upload's parts go out, and a reservation held until then would let
 * two uploads wait on each other (one for part memory, the other for frame memory).
 */
export async function writeFrame(
  stream: Writable,
  frame: PipedBuffer,
  failure: () => Error | undefined
): Promise<void> {
  const before = failure()
  if (before !== undefined) {
    frame.release()
    frame.recycle()
    throw before
  }
  const room = stream.write(frame.bytes, () => frame.recycle())
  frame.release()
  if (!room && !stream.destroyed) await drainedOrClosed(stream)
  const after = failure()
  if (after !== undefined) throw after
}
