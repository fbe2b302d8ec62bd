/**
 * Runs `work` on every item with at most `limit` running at once; work may add items as it
 * discovers them. Rejects with the first failure once the work in flight has settled. Once
 * `stop` aborts, no more items start and it resolves when those in flight have settled.
 */
export async function runQueue<T>(
  initial: T[],
  limit: number,
  work: (item: T, add: (item: T) => void) => Promise<void>,
  stop?: AbortSignal
): Promise<void> {
  // A read index instead of shift(): a closure walk queues thousands of paths.
  const pending = [...initial]
  let next = 0
  const add = (item: T): void => {
    pending.push(item)
  }
  let failure: { error: unknown } | undefined
  await new Promise<void>(resolve => {
    let active = 0
    const pump = (): void => {
      while (failure === undefined && stop?.aborted !== true && active < limit && next < pending.length) {
        const item = pending[next++]
        active++
        work(item, add)
          .catch((error: unknown) => {
            failure ??= { error }
          })
          .finally(() => {
            active--
            pump()
          })
      }
      if (active === 0 && (next === pending.length || failure !== undefined || stop?.aborted === true)) resolve()
    }
    pump()
  })
  if (failure !== undefined) throw failure.error
}

/** `fn` over `items`, at most `limit` at once, results in the order of `items`. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index])
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return results
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
      return
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
