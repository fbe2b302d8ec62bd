import { run } from './action/fleet-report.js'

await run()
