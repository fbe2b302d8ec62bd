import { bigFixture } from './big-fixture.js'
import { config } from './config.js'
import { closureFixture } from './fixture.js'
import { ensureInStore } from './other-store.js'
import { realBinariesFixture } from './real-fixture.js'
import { nixInstalls } from './runtimes.js'

// `tsx bench/prepare.ts`: makes the fixtures of this BENCH_SCALE (and their copies in modern
// Nix's store) ahead of a run, so the run itself spends no time generating them.
const log = (line: string): void => console.log(`  ${line}`)
const { modern } = await nixInstalls()
const started = Date.now()
for (const make of [closureFixture, realBinariesFixture]) {
  const fixture = await make(log)
  if (modern) await ensureInStore(modern, fixture.closure, log)
}
const big = await bigFixture(log)
if (modern) await ensureInStore(modern, [big.path], log)
log(`fixtures for BENCH_SCALE=${config.scale} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
