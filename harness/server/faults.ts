/** Misbehaviour the local server can be told to show, to exercise the client's retries. */
export interface FaultConfig {
  /**
   * An outage: every request, API, uploads and binary cache alike, gets HTTP 503 with an HTML
   * page (what a CDN in front of a dead origin serves), until the faults are changed again.
   */
  unavailable?: boolean
  /** Fraction of requests answered with HTTP 500. */
  errorRate?: number
  /** Fraction answered with HTTP 429 and a Retry-After header. */
  throttleRate?: number
  retryAfterSeconds?: number
  /** Fraction whose connection is reset without an answer. */
  resetRate?: number
  /** Fraction answered only after `slowMs`. */
  slowRate?: number
  slowMs?: number
  seed?: number
  /** Every PUT of this part number or a later one fails with HTTP 500, on every attempt. */
  failPartsFrom?: number
  /** The status those PUTs get (default 500, which clients retry; 400 is final at once). */
  failPartsStatus?: number
  /** The PUT of part 1 is answered only after this many ms (so it is in flight when later parts fail). */
  slowFirstPartMs?: number
}

export type Fault =
  | { kind: 'none' }
  | { kind: 'error' }
  | { kind: 'throttle'; retryAfterSeconds: number }
  | { kind: 'reset' }
  | { kind: 'slow'; ms: number }

/** A small deterministic generator, so a fault run can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state / 0x100000000
  }
}

export function faultPicker(config: FaultConfig | undefined): () => Fault {
  if (!config) return () => ({ kind: 'none' })
  const random = seededRandom(config.seed ?? 1)
  return () => {
    const roll = random()
    let edge = config.errorRate ?? 0
    if (roll < edge) return { kind: 'error' }
    edge += config.throttleRate ?? 0
    if (roll < edge) return { kind: 'throttle', retryAfterSeconds: config.retryAfterSeconds ?? 1 }
    edge += config.resetRate ?? 0
    if (roll < edge) return { kind: 'reset' }
    edge += config.slowRate ?? 0
    if (roll < edge) return { kind: 'slow', ms: config.slowMs ?? 200 }
    return { kind: 'none' }
  }
}
