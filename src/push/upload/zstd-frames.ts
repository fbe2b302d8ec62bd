/**
 * Finds where zstd frames end in a stream of them (RFC 8878, section 3.1.1), without
 * decompressing: it reads each frame's header and block headers and skips the block contents.
 * A long-lived zstd program writes one frame per input, back to back; this says which bytes
 * belong to which input.
 */
export class ZstdFrameEnds {
  private readonly collected = Buffer.alloc(16)
  private have = 0
  /** Header bytes to collect before the next step, or 0 while skipping. */
  private want = 5
  private skip = 0
  private step: 'start' | 'header' | 'block' | 'content' | 'checksum' = 'start'
  private checksum = false
  private lastBlock = false

  /**
   * The offset in `chunk` just past the end of the frame under way, or -1 when the frame goes
   * on past this chunk. After an end, the next call starts a new frame: pass it the rest.
   */
  end(chunk: Uint8Array): number {
    let at = 0
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at)
        this.skip -= n
        at += n
        if (this.skip === 0 && this.skipped()) return at
        continue
      }
      const n = Math.min(this.want - this.have, chunk.length - at)
      this.collected.set(chunk.subarray(at, at + n), this.have)
      this.have += n
      at += n
      if (this.have === this.want && this.collectedAll()) return at
    }
    return -1
  }

  /** Acts on the collected bytes; true when that ended the frame. */
  private collectedAll(): boolean {
    const bytes = this.collected
    this.have = 0
    if (this.step === 'start') {
      if (bytes.readUInt32LE(0) !== 0xfd2fb528) throw new Error('zstd wrote something that is not a zstd frame')
      const descriptor = bytes[4]
      const singleSegment = (descriptor & 0x20) !== 0
      const contentSizeFlag = descriptor >> 6
      this.checksum = (descriptor & 0x04) !== 0
      const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03]
      const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag]
      const rest = (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes
      if (rest > 0) return this.collect('header', rest)
      return this.collect('block', 3)
    }
    if (this.step === 'header') return this.collect('block', 3)
    // A block header: bit 0 marks the last block, bits 1-2 the type, the rest the size.
    const header = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16)
    const type = (header >> 1) & 3
    if (type === 3) throw new Error('zstd wrote a block of the reserved type')
    this.lastBlock = (header & 1) === 1
    const contentBytes = type === 1 ? 1 : header >>> 3
    this.step = 'content'
    this.skip = contentBytes
    return contentBytes === 0 ? this.skipped() : false
  }

  /** A block's content or the checksum was skipped; true when that ended the frame. */
  private skipped(): boolean {
    if (this.step === 'content' && !this.lastBlock) return this.collect('block', 3)
    if (this.step === 'content' && this.checksum) {
      this.step = 'checksum'
      this.skip = 4
      return false
    }
    this.collect('start', 5)
    return true
  }

  private collect(step: 'start' | 'header' | 'block', bytes: number): false {
    this.step = step
    this.want = bytes
    this.have = 0
    return false
  }
}
