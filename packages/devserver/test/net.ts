import * as net from "node:net"

/** Whether nothing accepts connections on `host:port`: the servers must listen on 127.0.0.1 only. */
export const refusesConnections = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port })
    socket.once("connect", () => {
      socket.destroy()
      resolve(false)
    })
    socket.once("error", () => resolve(true))
  })
