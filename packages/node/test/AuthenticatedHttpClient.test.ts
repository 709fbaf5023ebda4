import { assert, describe, it } from "@effect/vitest"
import { TokenManager } from "@toshi/core"
import { AuthenticatedHttpClient } from "@toshi/node"
import { ApiKey } from "@toshi/providers"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { clientLayer, counting, serve } from "./loopback.js"

/** A real API on 127.0.0.1 that accepts the tokens (or keys) in `accepted`, and records what it saw. */
const api = Effect.gen(function*() {
  const accepted = new Set<string>()
  const server = yield* serve((request, response) => {
    const ok = accepted.has(credentialOf(request))
    response.writeHead(ok ? 200 : 401, { "content-type": "application/json" })
    response.end(JSON.stringify(ok ? { hello: "world" } : { error: "unauthorized" }))
  })
  return { url: server.url, accepted, seen: () => server.seen.map(credentialOf) }
})

const credentialOf = (request: { readonly headers: Record<string, string | Array<string> | undefined> }) =>
  String(request.headers["authorization"] ?? `key ${String(request.headers["x-api-key"])}`)

describe("AuthenticatedHttpClient", () => {
  it.scopedLive("sends the token; a 401 renews it once and the request succeeds on its retry", () =>
    Effect.gen(function*() {
      const server = yield* api
      const { provider, state } = counting()
      server.accepted.add("Bearer token-2")
      const body = yield* Effect.gen(function*() {
        const client = yield* AuthenticatedHttpClient.AuthenticatedHttpClient
        const response = yield* client.get(`${server.url}/hello`)
        return yield* response.json
      }).pipe(Effect.provide(clientLayer(provider)))
      assert.deepStrictEqual(body, { hello: "world" })
      assert.deepStrictEqual(server.seen(), ["Bearer token-1", "Bearer token-2"])
      assert.strictEqual(state.acquired, 2)
    }))

  it.scopedLive("100 concurrent requests refused at once cause one renewal, and all succeed", () =>
    Effect.gen(function*() {
      const server = yield* api
      const { provider, state } = counting()
      server.accepted.add("Bearer token-2")
      const statuses = yield* Effect.gen(function*() {
        const client = yield* AuthenticatedHttpClient.AuthenticatedHttpClient
        // The first token is fetched before the burst, as a running service has it.
        yield* (yield* TokenManager.TokenManager).token
        return yield* Effect.forEach(
          Array.from({ length: 100 }, (_, i) => i),
          (i) => Effect.map(client.get(`${server.url}/item/${i}`), (r) => r.status),
          { concurrency: "unbounded" }
        )
      }).pipe(Effect.provide(clientLayer(provider)))
      assert.strictEqual(statuses.filter((s) => s === 200).length, 100)
      assert.strictEqual(state.acquired, 2)
    }))

  it.scopedLive("a second 401 after the renewal is an UnauthorizedError, not a loop", () =>
    Effect.gen(function*() {
      const server = yield* api
      const { provider, state } = counting()
      const error = yield* Effect.gen(function*() {
        const client = yield* AuthenticatedHttpClient.AuthenticatedHttpClient
        return yield* Effect.flip(client.get(`${server.url}/secret`))
      }).pipe(Effect.provide(clientLayer(provider)))
      assert.strictEqual(error._tag, "UnauthorizedError")
      assert.include(error.message, "answered 401 again after the token was renewed")
      assert.strictEqual(server.seen().length, 2)
      assert.strictEqual(state.acquired, 2)
    }))

  it.scopedLive("API keys go in their header", () =>
    Effect.gen(function*() {
      const server = yield* api
      server.accepted.add("key k-123")
      const status = yield* Effect.gen(function*() {
        const client = yield* AuthenticatedHttpClient.AuthenticatedHttpClient
        return (yield* client.get(`${server.url}/x`)).status
      }).pipe(Effect.provide(clientLayer(ApiKey.make({ apiKey: Redacted.make("k-123") }))))
      assert.strictEqual(status, 200)
    }))
})
