import { AuthError } from "@toshi/core"
import type { RedirectReceiver } from "@toshi/providers"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Http from "node:http"
import type * as Net from "node:net"

const host = "127.0.0.1"
const attempts = 10
/** How long closing waits for a request still in flight before cutting its connection. */
const closeGraceMillis = 1_000

const invalidConfig = (description: string, cause?: unknown) =>
  new AuthError.LoginFailedError({ reason: "InvalidConfig", description, ...(cause === undefined ? {} : { cause }) })

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

const page = (title: string, body: string) =>
  `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3em auto; max-width: 36em">
<h1>${title}</h1>
${body}
</body>
</html>
`

/** @internal */
export const successPage = page("You are signed in", "<p>You are signed in; you can close this tab.</p>")

/** @internal */
export const failurePage = (error: string, description: string | null) =>
  page(
    "Sign-in failed",
    `<p>Sign-in failed: <code>${escapeHtml(error)}</code></p>` +
      (description === null ? "" : `\n<p>${escapeHtml(description)}</p>`) +
      "\n<p>You can close this tab and try again.</p>"
  )

const htmlHeaders = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  // The page loads nothing, and must not pass the callback URL (with its code) on to anyone.
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
  "referrer-policy": "no-referrer",
  // One request per connection: nothing is left open to keep the process alive afterwards.
  connection: "close"
}

const plainHeaders = { "content-type": "text/plain; charset=utf-8", connection: "close" }

/**
 * The server's open connections, and which of them are answering a request. Node 20's
 * `closeIdleConnections` leaves a connection that has not sent a request yet (browsers open such
 * spare connections) open, and it would keep the process alive.
 */
class Connections {
  readonly open = new Set<Net.Socket>()
  readonly busy = new Set<Net.Socket>()
  readonly track = (socket: Net.Socket) => {
    this.open.add(socket)
    socket.once("close", () => {
      this.open.delete(socket)
      this.busy.delete(socket)
    })
  }
  readonly closeIdle = () => {
    for (const socket of this.open) if (!this.busy.has(socket)) socket.destroy()
  }
}

const listenOn = (port: number, handler: Http.RequestListener, connections: Connections) =>
  Effect.async<Http.Server, NodeJS.ErrnoException>((resume) => {
    const server = Http.createServer(handler)
    server.on("connection", connections.track)
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening)
      resume(Effect.fail(error))
    }
    const onListening = () => {
      server.off("error", onError)
      // An error on a listening server (rare) must not crash the process.
      server.on("error", () => {})
      resume(Effect.succeed(server))
    }
    server.once("error", onError)
    server.once("listening", onListening)
    server.listen({ port, host })
  })

const close = (server: Http.Server, connections: Connections) =>
  Effect.async<void>((resume) => {
    // Idle and pre-connected sockets are closed at once; a request still being answered gets a
    // moment to finish (its connection then closes, as every response says) before it is cut.
    const timer = setTimeout(() => server.closeAllConnections(), closeGraceMillis)
    timer.unref()
    server.close(() => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    connections.closeIdle()
  })

/** The ports to try: the preferred one and the next ones, or any free port. */
const candidates = (port: number | undefined): Array<number> => {
  if (port === undefined || port === 0) return [0]
  const ports: Array<number> = []
  for (let p = port; p < port + attempts && p <= 65535; p++) ports.push(p)
  return ports
}

const bind = (port: number | undefined, handler: Http.RequestListener, connections: Connections) =>
  Effect.gen(function*() {
    const busy: Array<number> = []
    for (const candidate of candidates(port)) {
      const result = yield* Effect.either(listenOn(candidate, handler, connections))
      if (Either.isRight(result)) return result.right
      if (result.left.code !== "EADDRINUSE") {
        return yield* invalidConfig(
          `cannot listen on ${host}:${candidate} for the sign-in redirect: ${result.left.code ?? result.left.message}`,
          result.left
        )
      }
      busy.push(candidate)
    }
    return yield* invalidConfig(
      `cannot listen for the sign-in redirect: ports ${busy.join(", ")} on ${host} are all in use; ` +
        `free one of them or choose another port`
    )
  })

/** @internal */
export const listen = (options?: RedirectReceiver.ListenOptions) =>
  Effect.gen(function*() {
    const path = options?.path ?? "/callback"
    if (!path.startsWith("/") || /[?#\s]/.test(path)) {
      return yield* invalidConfig(`the redirect path must start with "/" and hold no query, fragment or space: ${JSON.stringify(path)}`)
    }
    const port = options?.port
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      return yield* invalidConfig(`the redirect port must be an integer from 0 to 65535: ${port}`)
    }

    const received = yield* Deferred.make<URLSearchParams>()
    const connections = new Connections()
    let first: URLSearchParams | undefined
    const handler: Http.RequestListener = (request, response) => {
      connections.busy.add(request.socket)
      response.once("close", () => connections.busy.delete(request.socket))
      let url: URL
      try {
        url = new URL(request.url ?? "/", `http://${host}`)
      } catch {
        response.writeHead(400, plainHeaders).end("Bad request\n")
        return
      }
      if (url.pathname !== path) {
        response.writeHead(404, plainHeaders).end("Not found\n")
        return
      }
      if (request.method !== "GET") {
        response.writeHead(405, { ...plainHeaders, allow: "GET" }).end("Method not allowed\n")
        return
      }
      const params = url.searchParams
      const error = params.get("error")
      first ??= params
      // Resolved once the page has gone out (or the browser has gone away), so that closing the
      // server right after the callback does not cut the page off.
      response.once("close", () => Deferred.unsafeDone(received, Exit.succeed(first!)))
      response.writeHead(200, htmlHeaders).end(error === null ? successPage : failurePage(error, params.get("error_description")))
    }

    const server = yield* Effect.acquireRelease(
      bind(port, handler, connections),
      (server) => close(server, connections)
    )
    const address = server.address() as Net.AddressInfo
    return {
      redirectUri: `http://${host}:${address.port}${path}`,
      callback: Deferred.await(received)
    } satisfies RedirectReceiver.Receiver
  })

/** @internal */
export const make: RedirectReceiver.RedirectReceiverService = { listen }
