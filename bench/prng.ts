/**
 * sfc32: small, fast and fully specified, so the same seed yields the same bytes on every
 * machine and the generated store paths (content-addressed) come out identical run to run.
 */
export class Prng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    this.a = 0x9e3779b9
    this.b = 0x243f6a88
    this.c = 0xb7e15162
    this.d = seed >>> 0
    // The first outputs of sfc32 still echo the seed; discard them.
    for (let i = 0; i < 16; i++) this.next()
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 0x100000000
  }

  /** Uniform integer in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.float() * (high - low + 1))
  }

  /** Log-uniform in [low, high], so sizes spread over orders of magnitude like real files. */
  logUniform(low: number, high: number): number {
    return Math.round(Math.exp(Math.log(low) + this.float() * (Math.log(high) - Math.log(low))))
  }

  /** A derived generator, so one part of a fixture can change without shifting the others. */
  fork(salt: number): Prng {
    return new Prng((this.next() ^ Math.imul(salt, 0x85ebca6b)) >>> 0)
  }
}
