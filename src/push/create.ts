import type { NixStore } from '../nix/store.js'
import type { Log } from '../util/log.js'
import { makePushFilter } from './filter.js'
import { Pusher, type PushEvent } from './pusher.js'
import type { CachixSession } from '../cachix/session.js'
import { DEFAULT_PART_SIZE } from './upload/upload-path.js'

export interface PushTuning {
  jobs?: number
  exclude?: RegExp
  compressionLevel?: number
  partSize?: number
  bufferBytes?: number
  pathRetries?: number
  pathRetryDelayMs?: number
  onEvent?: (event: PushEvent) => void
  /** Each upload as it completes (path → compressed bytes). */
  onUploaded?: (path: string, fileSize: number) => void
  /** Where a failed path is reported as a warning. */
  log?: Log
}

// Cachix's defaults: 8 paths at once, level 2, 3 whole-path retries 5 s apart. Parts are 8 MiB
// rather than Cachix's 32, and part buffers are capped at 32 MiB in total across all uploads (a
// part filling, one being hashed, two on the wire: at 16 MiB the compressors waited for part
// memory, measured), so a push of any size stays under 160 MiB of memory (npm run bench
// measures it).
export const PUSH_DEFAULTS = {
  jobs: 8,
  compressionLevel: 2,
  partSize: DEFAULT_PART_SIZE,
  bufferBytes: 32 * 1024 * 1024,
  partConcurrency: 4,
  pathRetries: 3,
  pathRetryDelayMs: 5000
}

export function createPusher(session: CachixSession, store: NixStore, tuning: PushTuning = {}): Pusher {
  return new Pusher({
    client: session.client,
    store,
    filter: makePushFilter(tuning.exclude),
    upload: {
      compression: session.compression,
      compressionLevel: tuning.compressionLevel ?? PUSH_DEFAULTS.compressionLevel,
      partSize: tuning.partSize ?? PUSH_DEFAULTS.partSize,
      partConcurrency: PUSH_DEFAULTS.partConcurrency,
      signingKey: session.signingKey
    },
    jobs: tuning.jobs ?? PUSH_DEFAULTS.jobs,
    bufferBytes: tuning.bufferBytes ?? PUSH_DEFAULTS.bufferBytes,
    pathRetries: tuning.pathRetries ?? PUSH_DEFAULTS.pathRetries,
    pathRetryDelayMs: tuning.pathRetryDelayMs ?? PUSH_DEFAULTS.pathRetryDelayMs,
    onEvent: event => {
      if (event.kind === 'uploaded') tuning.onUploaded?.(event.path, event.fileSize)
      if (event.kind === 'failed') tuning.log?.warning(`push of ${event.path} failed: ${event.error}`)
      tuning.onEvent?.(event)
    }
  })
}
