import * as Effect from "effect/Effect"
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Https from "node:https"
import type { AddressInfo } from "node:net"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"

const listening = <S extends Net.Server>(server: S, port = 0) =>
  Effect.async<S, Error>((resume) => {
    server.once("error", (error) => resume(Effect.fail(error)))
    server.listen(port, "127.0.0.1", () => resume(Effect.succeed(server)))
  })

const closing = (server: Net.Server, sockets?: Set<Net.Socket>) =>
  Effect.async<void>((resume) => {
    server.close(() => resume(Effect.void))
    if (server instanceof Http.Server) server.closeAllConnections()
    for (const socket of sockets ?? []) socket.destroy()
  })

const portOf = (server: Net.Server) => (server.address() as AddressInfo).port

/** A target on 127.0.0.1 that answers every request with its own name and the path. */
export const target = (tls?: { readonly key: string; readonly cert: string }) =>
  Effect.gen(function*() {
    const handler: Http.RequestListener = (request, response) => {
      response.writeHead(200, { "content-type": "text/plain" }).end(`target says hello to ${request.url}`)
    }
    const server = yield* Effect.acquireRelease(
      listening(tls === undefined ? Http.createServer(handler) : Https.createServer(tls, handler)),
      (server) => closing(server)
    )
    return { url: `${tls === undefined ? "http" : "https"}://127.0.0.1:${portOf(server)}` }
  })

/**
 * An HTTP proxy on 127.0.0.1 that forwards absolute-form requests and tunnels CONNECT, and counts
 * both.
 */
export const proxy = Effect.gen(function*() {
  const seen = { forwarded: [] as Array<string>, tunnelled: [] as Array<string> }
  const sockets = new Set<Net.Socket>()
  const server = Http.createServer((request, response) => {
    // A forward-proxy request names the whole URL: `GET http://host:port/path`.
    seen.forwarded.push(request.url ?? "")
    const url = new URL(request.url ?? "")
    const upstream = Http.request(url, { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    upstream.on("error", () => response.writeHead(502).end())
    request.pipe(upstream)
  })
  server.on("connect", (request: Http.IncomingMessage, client: Net.Socket, head: Buffer) => {
    seen.tunnelled.push(request.url ?? "")
    const [host, port] = (request.url ?? "").split(":")
    const upstream = Net.connect(Number(port), host!, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on("error", () => {})
      socket.on("close", () => sockets.delete(socket))
    }
    upstream.on("error", () => client.destroy())
  })
  yield* Effect.acquireRelease(listening(server), (server) => closing(server, sockets))
  return {
    url: `http://127.0.0.1:${portOf(server)}`,
    seen,
    get count() {
      return seen.forwarded.length + seen.tunnelled.length
    }
  }
})

/** A temporary directory, removed when the scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "toshi-node-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** A self-signed certificate for 127.0.0.1 (made by openssl), its key, and the PEM file's path. */
export const selfSignedCertificate = Effect.gen(function*() {
  const dir = yield* tempDir
  const keyPath = Path.join(dir, "key.pem")
  const certPath = Path.join(dir, "cert.pem")
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", keyPath, "-out", certPath, "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1"
  ], { stdio: "ignore" })
  return { certPath, key: Fs.readFileSync(keyPath, "utf8"), cert: Fs.readFileSync(certPath, "utf8"), dir }
})

/** A plain TCP listener holding a port on 127.0.0.1 until the scope closes. */
export const holdPort = (port = 0) =>
  Effect.acquireRelease(listening(Net.createServer(), port), (server) => closing(server)).pipe(Effect.map(portOf))

/** `count` consecutive free ports on 127.0.0.1, all held until the scope closes. */
export const holdConsecutivePorts = (count: number) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 50; attempt++) {
      const base = 20_000 + Math.floor(Math.random() * 40_000)
      const held = yield* Effect.forEach(
        Array.from({ length: count }, (_, i) => base + i),
        (port) => holdPort(port),
        { discard: true }
      ).pipe(Effect.as(true), Effect.catchAll(() => Effect.succeed(false)))
      if (held) return base
    }
    return yield* Effect.dieMessage(`no ${count} consecutive free ports found`)
  })

/** A GET with Node's own client (not the client under test), reading the whole body. */
export const get = (url: string) =>
  Effect.async<{ status: number; headers: Http.IncomingHttpHeaders; body: string }, Error>((resume) => {
    const request = Http.get(url, { agent: false }, (response) => {
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => (body += chunk))
      response.on("end", () => resume(Effect.succeed({ status: response.statusCode ?? 0, headers: response.headers, body })))
    })
    request.on("error", (error) => resume(Effect.fail(error)))
  })
