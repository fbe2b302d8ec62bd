import { mkdir } from 'node:fs/promises'
import { compileChildren } from './child.js'
import { config } from './config.js'
import { initCpuClock } from './cpu.js'
import { describeEnvironment, loadAverage } from './environment.js'
import { memory } from './memory.js'
import { missingQuery } from './missing-query.js'
import { seconds, table, type Row } from './report.js'
import { throughput } from './throughput.js'

const SECTIONS: { key: string; title: string; run: (log: (line: string) => void) => Promise<Row[]> }[] = [
  { key: 'throughput', title: '1. push throughput: ~300-path closure', run: throughput },
  { key: 'memory', title: '2. peak memory: one big NAR', run: memory },
  { key: 'missing', title: '3. missing-path decision: 20,000 paths, half present', run: missingQuery }
]

const started = performance.now()
const log = (line: string): void => console.log(`  ${line}`)
console.log('nix-cachix-build benchmark')
for (const line of await describeEnvironment()) log(line)
await mkdir(config.dir, { recursive: true })
await compileChildren()
await initCpuClock()

const rows: Row[] = [['measurement', 'result', 'target', '']]
for (const section of SECTIONS.filter(s => config.only.includes(s.key))) {
  console.log(`\n${section.title}`)
  rows.push(...(await section.run(log)))
}
console.log(`\nsummary (BENCH_SCALE=${config.scale}, ${seconds(performance.now() - started)} in all, ${loadAverage()} at the end)`)
console.log(table(rows))
