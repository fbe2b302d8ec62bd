import type { RetryPolicy } from '../../src/cachix/retry-policy.js'
import type { CompressionMethod } from '../../src/cachix/types.js'
import { makePushFilter } from '../../src/push/filter.js'
import { Pusher, type PushEvent } from '../../src/push/pusher.js'
import type { NarSource } from '../../src/push/upload/upload-path.js'
import { openCachixSession } from '../../src/cachix/session.js'
import { NixStore } from '../../src/nix/store.js'
import { FAST_RETRIES } from './server.js'

export interface TestPushOptions {
  baseUrl: string
  cacheName: string
  authToken?: string
  signingKey?: string
  compression?: CompressionMethod
  retryPolicy?: RetryPolicy
  partSize?: number
  jobs?: number
  pathRetryDelayMs?: number
  bufferBytes?: number
  narSource?: NarSource
}

export async function makePusher(options: TestPushOptions): Promise<{ pusher: Pusher; events: PushEvent[] }> {
  const session = await openCachixSession({
    baseUrl: options.baseUrl,
    cacheName: options.cacheName,
    authToken: options.authToken,
    signingKey: options.signingKey,
    compression: options.compression,
    retryPolicy: options.retryPolicy ?? FAST_RETRIES
  })
  const events: PushEvent[] = []
  const pusher = new Pusher({
    client: session.client,
    store: new NixStore(),
    filter: makePushFilter(),
    upload: {
      compression: session.compression,
      compressionLevel: 3,
      partSize: options.partSize ?? 32 * 1024 * 1024,
      partConcurrency: 4,
      signingKey: session.signingKey
    },
    jobs: options.jobs ?? 4,
    bufferBytes: options.bufferBytes ?? 96 * 1024 * 1024,
    pathRetries: 3,
    pathRetryDelayMs: options.pathRetryDelayMs ?? 50,
    narSource: options.narSource,
    onEvent: event => events.push(event)
  })
  return { pusher, events }
}
