import { run } from './fleet/main.js'

await run()
