import { connect, type NetConnectOpts } from 'node:net'

/** True when something accepts connections at `address`: a unix socket's path, or a TCP port and host. */
export function accepts(address: NetConnectOpts): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect(address)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
