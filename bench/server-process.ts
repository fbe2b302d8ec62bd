import { readFile } from 'node:fs/promises'
import { startCachixServer, type CachixServerOptions } from '../harness/server/cachix-server.js'

// Runs the local Cachix server in its own process so its request handling, hashing and
// disk writes never share an event loop with the client being measured.
// The options as JSON, or @FILE holding them (a cache's upstream hashes outgrow a command line).
const argument = process.argv[2] ?? '{}'
const options = JSON.parse(
  argument.startsWith('@') ? await readFile(argument.slice(1), 'utf8') : argument
) as CachixServerOptions
const server = await startCachixServer({ ...options, log: line => process.stderr.write(`server: ${line}\n`) })
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`)

// The parent holds our stdin: when it closes (also when the parent dies) the server goes too.
await new Promise<void>(resolve => {
  process.stdin.once('end', resolve)
  process.once('SIGTERM', resolve)
  process.stdin.resume()
})
await server.close()
process.exit(0)
