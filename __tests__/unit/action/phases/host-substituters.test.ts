import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server, type Socket } from 'node:net'
import { probeCacheInfo } from '../../../../src/action/phases/host-substituters.js'

describe('host substituters', () => {
  describe('the real probe', () => {
    let silent: Server
    const sockets: Socket[] = []
    let port = 0
    beforeAll(async () => {
      // Accepts connections and never answers: a cache behind a dropped route.
      silent = createServer(socket => sockets.push(socket))
      await new Promise<void>(r => silent.listen(0, '127.0.0.1', r))
      port = (silent.address() as { port: number }).port
    })
    afterAll(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(r => silent.close(r))
    })

    it('gives up on a silent cache after the timeout', async () => {
      const started = Date.now()
      expect(await probeCacheInfo(`http://127.0.0.1:${port}/nix-cache-info`, 300)).toBe('no answer within 0.3 s')
      expect(Date.now() - started).toBeLessThan(2000)
    })

    it('names a refused connection', async () => {
      expect(await probeCacheInfo('http://127.0.0.1:9/nix-cache-info', 1000)).toMatch(
        /could not be reached \(.*ECONNREFUSED/
      )
    })
  })
})
