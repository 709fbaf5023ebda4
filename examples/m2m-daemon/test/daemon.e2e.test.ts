/**
 * What ends the daemon and what does not, besides its credentials (supervisor.e2e.test.ts): each
 * test runs it once as a process against the real devserver, without the supervisor.
 */
import { spawn } from "node:child_process"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type DevServer, start } from "@toshi/devserver"

const exampleDir = fileURLToPath(new URL("..", import.meta.url))
const daemonPath = fileURLToPath(new URL("../src/daemon.ts", import.meta.url))

let server: DevServer
beforeAll(async () => {
  server = await start({ accessTokenTtl: 2 })
})
afterAll(async () => {
  await server?.stop()
})

/**
 * Runs the daemon against `apiUrl` until it exits, or until `stopWhen` holds for its output, when it
 * gets SIGTERM as its supervisor would send. Killed after 30 s: a hang fails the test, never the run.
 */
const runDaemon = (apiUrl: string, stopWhen?: (output: string) => boolean) =>
  new Promise<{ readonly code: number | null; readonly output: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", daemonPath], {
      cwd: exampleDir,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env["PATH"] ?? "",
        DAEMON_TOKEN_ENDPOINT: server.endpoints.token,
        DAEMON_CLIENT_ID: server.clients.confidential.clientId,
        DAEMON_CLIENT_SECRET: server.clients.confidential.clientSecret,
        DAEMON_CLIENT_AUTH: "post",
        DAEMON_SCOPE: "read",
        DAEMON_RESOURCE: server.resource,
        DAEMON_API_URL: apiUrl,
        DAEMON_INTERVAL: "300 millis"
      }
    })
    let output = ""
    let stopped = false
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      // Once: `runMain` takes a second signal as "stop now", without finalizers.
      if (!stopped && stopWhen?.(output) === true) {
        stopped = true
        child.kill("SIGTERM")
      }
    }
    child.stdout.on("data", collect)
    child.stderr.on("data", collect)
    const hang = setTimeout(() => child.kill("SIGKILL"), 30_000)
    child.once("close", (code) => {
      clearTimeout(hang)
      resolve({ code, output })
    })
  })

/** A server on 127.0.0.1 answering every request with `handle`. */
const listen = async (handle: http.RequestListener) => {
  const api = http.createServer(handle)
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve))
  return { api, url: `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1/ping` }
}

const close = (api: http.Server) => {
  api.closeAllConnections()
  return new Promise((resolve) => api.close(resolve))
}

// Each test runs its own daemon process: side by side, they take the time of one.
describe.concurrent("the daemon's requests", () => {
  it("an API that refuses even a freshly renewed token ends the daemon with an UnauthorizedError", async () => {
    let requests = 0
    const { api, url } = await listen((_, response) => {
      requests++
      response.writeHead(401).end()
    })
    try {
      const { code, output } = await runDaemon(url)
      assert.strictEqual(code, 1, output)
      assert.match(output, /message="daemon failed" .*error=UnauthorizedError/)
      // The first token, one renewal after the 401 and one retry: no loop.
      assert.strictEqual(requests, 2, output)
      assert.lengthOf(output.match(/message="token renewed"/g) ?? [], 2, output)
    } finally {
      await close(api)
    }
  })

  it("an API answering 503, then not listening at all, is logged, counted and tried again at each tick", async () => {
    let requests = 0
    const { api, url } = await listen((_, response) => {
      response.writeHead(503).end()
      // After the third answer the API goes away: the next calls find nothing listening.
      if (++requests === 3) void close(api)
    })
    try {
      const { code, output } = await runDaemon(url, (output) => (output.match(/error=RequestError/g) ?? []).length >= 2)
      assert.strictEqual(code, 0, output)
      assert.lengthOf(output.match(/message="request failed" .*status=503/g) ?? [], 3, output)
      assert.match(output, /message="request failed" .*error=RequestError/)
      assert.match(output, /message="daemon stopping" .*failed=[5-9]/)
      assert.notMatch(output, /level=ERROR/)
    } finally {
      if (api.listening) await close(api)
    }
  })
})
