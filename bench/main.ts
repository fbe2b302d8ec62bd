import { mkdir } from 'node:fs/promises'
import { cpus } from 'node:os'
import { compileChildren } from './child.js'
import { config, type SectionKey } from './config.js'
import { initCpuClock } from './cpu.js'
import { describeEnvironment, loadAverage } from './environment.js'
import { closureFixture } from './fixture.js'
import { memory } from './memory.js'
import { missingQuery } from './missing-query.js'
import { realBinariesFixture } from './real-fixture.js'
import { seconds, table, type Row } from './report.js'
import { pushWhileBuilding } from './building.js'
import { closureWalk } from './walk.js'
import { noopRerun } from './rerun.js'
import { pushComparison } from './throughput.js'
import { nixInstalls, nodeRuntimes } from './runtimes.js'
import { errorMessage } from '../src/util/errors.js'
import { closureDiffBench } from './diff.js'
import { evalImportsCost } from './eval-imports.js'

const SECTIONS: { key: SectionKey; title: string; run: (log: (line: string) => void) => Promise<Row[]> }[] = [
  {
    key: 'throughput',
    title: 'push throughput: generated ~300-path closure',
    run: async log => pushComparison('mix', await closureFixture(log), config.runs, log)
  },
  {
    key: 'real',
    title: 'push throughput: closure of real binaries',
    run: async log => pushComparison('real', await realBinariesFixture(log), config.realRuns, log)
  },
  { key: 'memory', title: 'peak memory: one big NAR', run: memory },
  { key: 'building', title: 'push while building: CPU-bound derivations, streaming push on', run: pushWhileBuilding },
  { key: 'walk', title: 'closure walk: 5,000-path closure against the local server', run: closureWalk },
  { key: 'rerun', title: 'no-op rerun of the action: every host cached', run: noopRerun },
  { key: 'missing', title: 'missing-path decision: 20,000 paths, half present', run: missingQuery },
  { key: 'diff', title: 'closure diff: 5,000-path closures differing in 200', run: closureDiffBench },
  { key: 'eval', title: 'evaluation imports: the cost on a host without import from derivation', run: evalImportsCost }
]

const started = performance.now()
const log = (line: string): void => console.log(`  ${line}`)
console.log(`nix-cachix-build benchmark, ${new Date().toISOString()}`)
await mkdir(config.dir, { recursive: true })
await compileChildren()
await initCpuClock()
for (const line of await describeEnvironment()) log(line)

const rows: Row[] = [['measurement', 'result', 'goal', '']]
let index = 0
for (const section of SECTIONS.filter(s => config.only.includes(s.key))) {
  console.log(`\n${++index}. ${section.title} (${loadAverage()})`)
  const sectionStarted = performance.now()
  try {
    rows.push(...(await section.run(log)))
  } catch (error: unknown) {
    // One broken section should not hide the others' numbers; it shows up in the summary.
    const message = errorMessage(error)
    log(`FAILED: ${message}`)
    rows.push([`${section.key}: section failed`, message.split('\n')[0].slice(0, 120), '', 'FAIL'])
    process.exitCode = 1
  }
  log(`section took ${seconds(performance.now() - sectionStarted)}`)
}
const { node24, node20 } = await nodeRuntimes()
const { host, modern } = await nixInstalls()
console.log(
  `\nsummary (BENCH_SCALE=${config.scale}, ${seconds(performance.now() - started)} in all, ${loadAverage()} at the end)`
)
console.log(
  `${new Date().toISOString()}, ${cpus().length} CPUs; ours on ${node24.version} and ${node20.version}; peers ${host.version}${modern ? ` and ${modern.version}` : ''}`
)
console.log(table(rows))
