import { assert, describe, it } from "@effect/vitest"
import { AuthError, AuthProvider } from "@toshi/core"
import { Health } from "@toshi/node"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { clientLayer, counting, deadUrl, serve } from "./loopback.js"

/** An API whose `/public` answers anyone and whose `/private` answers only `Bearer token-1`. */
const api = (status: { public: number } = { public: 200 }) =>
  serve((request, response) => {
    if (request.url === "/public") return void response.writeHead(status.public).end("up")
    const ok = request.headers.authorization === "Bearer token-1"
    response.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(JSON.stringify({ ok }))
  })

describe("Health", () => {
  it.scopedLive("both endpoints answering 2xx are reachable and ok, each with its status and latency", () =>
    Effect.gen(function*() {
      const server = yield* api()
      const report = yield* Health.checkHealth({ publicUrl: `${server.url}/public`, authenticatedUrl: `${server.url}/private` }).pipe(
        Effect.provide(clientLayer(counting().provider))
      )
      assert.isTrue(report.ok)
      assert.deepInclude(report.public, { url: `${server.url}/public`, reachable: true, ok: true, status: 200 })
      assert.deepInclude(report.authenticated, { url: `${server.url}/private`, reachable: true, ok: true, status: 200 })
      assert.isUndefined(report.public.error)
      for (const check of [report.public, report.authenticated]) {
        assert.isAbove(check.latencyMs, 0)
        assert.isBelow(check.latencyMs, 5_000)
      }
      // The public check goes without credentials; only the authenticated one carries the token.
      const byPath = Object.fromEntries(server.seen.map((s) => [s.url, s.headers.authorization]))
      assert.deepStrictEqual(byPath, { "/public": undefined, "/private": "Bearer token-1" })
    }))

  it.scopedLive("a 503 and a token refused even after renewal are reachable but not ok", () =>
    Effect.gen(function*() {
      const server = yield* api({ public: 503 })
      const { provider, state } = counting()
      const refusing = yield* serve((_, response) => void response.writeHead(401).end())
      const report = yield* Health.checkHealth({ publicUrl: `${server.url}/public`, authenticatedUrl: `${refusing.url}/private` }).pipe(
        Effect.provide(clientLayer(provider))
      )
      assert.isFalse(report.ok)
      assert.deepInclude(report.public, { reachable: true, ok: false, status: 503, error: "answered with status 503" })
      assert.deepInclude(report.authenticated, { reachable: true, ok: false, status: 401 })
      assert.include(report.authenticated.error, "answered 401 again after the token was renewed")
      assert.strictEqual(state.acquired, 2)
    }))

  it.scopedLive("an endpoint where nothing listens is unreachable, with the transport's reason", () =>
    Effect.gen(function*() {
      const server = yield* api()
      const dead = yield* deadUrl
      const report = yield* Health.checkHealth({ publicUrl: `${dead}/public`, authenticatedUrl: `${server.url}/private` }).pipe(
        Effect.provide(clientLayer(counting().provider))
      )
      assert.isFalse(report.ok)
      assert.isFalse(report.public.reachable)
      assert.isFalse(report.public.ok)
      assert.isUndefined(report.public.status)
      assert.include(report.public.error, "ECONNREFUSED")
      assert.isTrue(report.authenticated.ok)
    }))

  it.scopedLive("credentials that cannot be obtained are reported, and no request is sent", () =>
    Effect.gen(function*() {
      const server = yield* api()
      const provider = AuthProvider.make({
        key: "none",
        acquire: Effect.fail(new AuthError.NoCredentialsError({ reason: "NotLoggedIn", description: "run `toshi login`" }))
      })
      const report = yield* Health.checkHealth({ publicUrl: `${server.url}/public`, authenticatedUrl: `${server.url}/private` }).pipe(
        Effect.provide(clientLayer(provider))
      )
      assert.isTrue(report.public.ok)
      assert.deepInclude(report.authenticated, { reachable: false, ok: false })
      assert.include(report.authenticated.error, "no request sent, the credentials could not be obtained")
      assert.include(report.authenticated.error, "run `toshi login`")
      assert.deepStrictEqual(server.seen.map((s) => s.url), ["/public"])
    }))

  it.scoped("an endpoint that never answers times out after the timeout, as the Clock measures it", () =>
    Effect.gen(function*() {
      // Accepts the connection and never answers.
      const silent = yield* serve(() => {})
      const fiber = yield* Health.checkHealth({
        publicUrl: `${silent.url}/public`,
        authenticatedUrl: `${silent.url}/private`,
        timeout: "3 seconds"
      }).pipe(Effect.provide(clientLayer(counting().provider)), Effect.fork)
      yield* TestClock.adjust("3 seconds")
      const report = yield* Fiber.join(fiber)
      for (const check of [report.public, report.authenticated]) {
        assert.deepInclude(check, { reachable: false, ok: false, latencyMs: 3_000, error: "no answer within 3s" })
      }
    }))
})
