import type { Prng } from './prng.js'

/** random: like compressed or encrypted data; text: like sources and docs; mixed: like binaries. */
export type ContentKind = 'random' | 'text' | 'mixed'

const LINE_POOL = 32768
const MIXED_CHUNK = 16 * 1024

/** Byte content of a given kind, generated from a seeded PRNG and nothing else. */
export class ContentGenerator {
  private readonly lines: Buffer[]

  constructor(private readonly prng: Prng) {
    const words: string[] = []
    for (let i = 0; i < 2048; i++) {
      let word = ''
      const length = prng.int(2, 10)
      for (let j = 0; j < length; j++) word += String.fromCharCode(97 + prng.int(0, 25))
      words.push(word)
    }
    // A pool of lines larger than zstd's level-3 window, so the text is not one long repeat.
    this.lines = []
    for (let i = 0; i < LINE_POOL; i++) {
      const parts: string[] = [' '.repeat(2 * prng.int(0, 4))]
      const count = prng.int(3, 12)
      for (let j = 0; j < count; j++) parts.push(words[Math.floor(prng.float() ** 2 * words.length)])
      this.lines.push(Buffer.from(`${parts.join(' ')}\n`))
    }
  }

  fill(kind: ContentKind, target: Buffer): void {
    if (kind === 'random') this.fillRandom(target)
    else if (kind === 'text') this.fillText(target)
    else {
      for (let offset = 0; offset < target.length; offset += MIXED_CHUNK) {
        const part = target.subarray(offset, Math.min(target.length, offset + MIXED_CHUNK))
        if (this.prng.next() % 3 === 0) this.fillRandom(part)
        else this.fillText(part)
      }
    }
  }

  private fillRandom(target: Buffer): void {
    const prng = this.prng
    const whole = target.length & ~3
    for (let i = 0; i < whole; i += 4) target.writeUInt32LE(prng.next(), i)
    for (let i = whole; i < target.length; i++) target[i] = prng.next() & 0xff
  }

  private fillText(target: Buffer): void {
    let offset = 0
    while (offset < target.length) {
      const line = this.lines[this.prng.next() % LINE_POOL]
      offset += line.copy(target, offset)
    }
  }
}
