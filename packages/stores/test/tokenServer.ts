import * as http from "node:http"
import type { AddressInfo } from "node:net"

/**
 * A real HTTP token endpoint on 127.0.0.1 that counts requests: each POST issues a new numbered
 * token living `lifetimeMs`. Until the devserver exists, this is what fleet tests and benchmarks
 * renew against.
 */
export const startCountingTokenServer = async (lifetimeMs: number) => {
  const requests: Array<{ at: number; member: string }> = []
  const server = http.createServer((request, response) => {
    if (request.method !== "POST") {
      response.writeHead(405).end()
      return
    }
    const now = Date.now()
    requests.push({ at: now, member: String(request.headers["x-member"] ?? "") })
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
      access_token: `token-${requests.length}`,
      issued_at_ms: now,
      expires_at_ms: now + lifetimeMs
    }))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/token`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
