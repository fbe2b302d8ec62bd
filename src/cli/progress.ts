import type { PushEvent, PushTotals } from '../push/pusher.js'
import { formatBytes } from '../util/format.js'

/** A live status line on a terminal; one plain line per finished path otherwise (logs, CI). */
export class Progress {
  private last = 0

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly totals: () => PushTotals
  ) {}

  private get live(): boolean {
    return this.out.isTTY === true
  }

  event(event: PushEvent, built = 0): void {
    if (this.live) {
      const now = Date.now()
      if (now - this.last < 100 && event.kind !== 'failed') return
      this.last = now
      const t = this.totals()
      this.out.write(
        `\r\x1b[K${built > 0 ? `built ${built} · ` : ''}pushed ${t.uploaded} (${formatBytes(t.uploadedFileBytes)}) · in cache ${t.skippedPresent} · waiting ${t.pending}${t.failed > 0 ? ` · failed ${t.failed}` : ''}`
      )
      if (event.kind === 'failed') this.out.write(`\n${event.path}: ${event.error}\n`)
      return
    }
    if (event.kind === 'uploaded')
      this.out.write(`pushed ${event.path} (${formatBytes(event.fileSize)}, ${event.ms} ms)\n`)
    else if (event.kind === 'failed') this.out.write(`FAILED ${event.path}: ${event.error}\n`)
  }

  line(text: string): void {
    this.out.write(`${this.live ? '\r\x1b[K' : ''}${text}\n`)
  }

  done(): void {
    if (this.live) this.out.write('\r\x1b[K')
  }
}
