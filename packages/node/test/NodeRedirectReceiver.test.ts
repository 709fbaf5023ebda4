import { assert, describe, it } from "@effect/vitest"
import { NodeRedirectReceiver } from "@toshi/node"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Net from "node:net"
import { get, holdConsecutivePorts, holdPort } from "./utils.js"

const receiver = NodeRedirectReceiver.make()

/** Sends raw bytes and gives back what the server answered before closing. */
const rawRequest = (origin: string, bytes: string) =>
  Effect.async<string, Error>((resume) => {
    const url = new URL(origin)
    let answer = ""
    const socket = Net.connect(Number(url.port), url.hostname, () => socket.write(bytes))
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => (answer += chunk))
    socket.on("close", () => resume(Effect.succeed(answer)))
    socket.on("error", (error) => resume(Effect.fail(error)))
  })

const portOf = (redirectUri: string) => Number(new URL(redirectUri).port)

/** Whether a plain TCP server can bind the port on 127.0.0.1 right now. */
const canBind = (port: number) =>
  holdPort(port).pipe(Effect.as(true), Effect.catchAll(() => Effect.succeed(false)), Effect.scoped)

describe("NodeRedirectReceiver", () => {
  it.scopedLive("listens on 127.0.0.1 and hands over the code and state of the redirect", () =>
    Effect.gen(function*() {
      const { callback, redirectUri } = yield* receiver.listen()
      assert.match(redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/)
      const page = yield* get(`${redirectUri}?code=abc&state=xyz`)
      assert.strictEqual(page.status, 200)
      assert.include(page.headers["content-type"], "text/html")
      assert.include(page.body, "You are signed in; you can close this tab")
      const params = yield* callback
      assert.strictEqual(params.get("code"), "abc")
      assert.strictEqual(params.get("state"), "xyz")
    }))

  it.scopedLive("shows a failure page with the error code, escaped, when the server sends an error", () =>
    Effect.gen(function*() {
      const { callback, redirectUri } = yield* receiver.listen({ path: "/cb" })
      assert.match(redirectUri, /\/cb$/)
      const description = "<script>alert(1)</script>"
      const page = yield* get(`${redirectUri}?error=access_denied&error_description=${encodeURIComponent(description)}&state=s`)
      assert.strictEqual(page.status, 200)
      assert.include(page.body, "Sign-in failed")
      assert.include(page.body, "access_denied")
      assert.notInclude(page.body, "signed in;")
      assert.notInclude(page.body, "<script>")
      assert.include(page.body, "&lt;script&gt;")
      const params = yield* callback
      assert.strictEqual(params.get("error"), "access_denied")
      assert.strictEqual(params.get("error_description"), description)
    }))

  it.scopedLive("answers other paths with 404 and keeps waiting; the first callback wins", () =>
    Effect.gen(function*() {
      const { callback, redirectUri } = yield* receiver.listen()
      const origin = new URL(redirectUri).origin
      assert.strictEqual((yield* get(`${origin}/favicon.ico`)).status, 404)
      assert.strictEqual((yield* get(`${origin}/callbackx?code=wrong`)).status, 404)
      assert.strictEqual((yield* rawRequest(origin, "GET http://[bad/callback HTTP/1.1\r\nhost: x\r\n\r\n")).slice(0, 12), "HTTP/1.1 400")
      assert.isTrue(Option.isNone(yield* Effect.timeoutOption(callback, "50 millis")))
      yield* get(`${redirectUri}?code=first`)
      yield* get(`${redirectUri}?code=second`)
      assert.strictEqual((yield* callback).get("code"), "first")
    }))

  it.scopedLive("moves to the next port when the preferred one is taken", () =>
    Effect.gen(function*() {
      const taken = yield* holdPort()
      const { redirectUri } = yield* receiver.listen({ port: taken })
      const port = portOf(redirectUri)
      assert.isAbove(port, taken)
      assert.isAtMost(port, taken + 9)
    }))

  it.scopedLive("uses the preferred port when it is free", () =>
    Effect.gen(function*() {
      const free = yield* holdPort().pipe(Effect.scoped)
      const { redirectUri } = yield* receiver.listen({ port: free })
      assert.strictEqual(redirectUri, `http://127.0.0.1:${free}/callback`)
    }))

  it.scopedLive("fails with InvalidConfig naming the ports when all 10 are busy", () =>
    Effect.gen(function*() {
      const base = yield* holdConsecutivePorts(10)
      const error = yield* Effect.flip(receiver.listen({ port: base }))
      assert.strictEqual(error._tag, "LoginFailedError")
      assert.strictEqual(error.reason, "InvalidConfig")
      assert.include(error.message, `${base}, ${base + 1}`)
      assert.include(error.message, `${base + 9}`)
      assert.notInclude(error.message, `${base + 10}`)
    }))

  it.scopedLive("a path that is not absolute is refused", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(receiver.listen({ path: "callback" }))
      assert.strictEqual(error.reason, "InvalidConfig")
    }))

  it.live("frees the port when the scope closes, even with an idle connection open", () =>
    Effect.gen(function*() {
      const idle = new Net.Socket()
      const idleClosed = new Promise<void>((resolve) => idle.once("close", () => resolve()))
      idle.on("error", () => {})
      const started = Date.now()
      const port = yield* Effect.scoped(Effect.gen(function*() {
        const { redirectUri } = yield* receiver.listen()
        const port = portOf(redirectUri)
        // A browser's pre-connected socket that never sends a request, and a finished callback.
        yield* Effect.async<void>((resume) => {
          idle.connect(port, "127.0.0.1", () => resume(Effect.void))
        })
        yield* get(`${redirectUri}?code=c`)
        assert.isFalse(yield* canBind(port))
        return port
      }))
      yield* Effect.promise(() => idleClosed)
      assert.isTrue(yield* canBind(port))
      // The idle socket was closed at once, not after a grace period or a keep-alive timeout.
      assert.isBelow(Date.now() - started, 900)
    }))
})
