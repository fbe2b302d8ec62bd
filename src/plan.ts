import { run } from './plan/main.js'

await run()
