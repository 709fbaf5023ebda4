import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { NodeHttpClient } from "@effect/platform-node"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { AuthError, RefreshHooks, RefreshPolicy, TokenManager, TokenSet, TokenStore } from "@toshi/core"
import { ClientAuth, OAuth2 } from "@toshi/providers"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"

/** A real server on 127.0.0.1 that answers every request with what the test sets. */
const misbehaving = async () => {
  let answer: (request: http.IncomingMessage, response: http.ServerResponse, body: string) => void = (_, res) => res.end()
  const seen: Array<{ headers: http.IncomingHttpHeaders; body: string }> = []
  const server = http.createServer((request, response) => {
    let body = ""
    request.on("data", (chunk) => (body += chunk))
    request.on("end", () => {
      seen.push({ headers: request.headers, body })
      answer(request, response, body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    seen,
    answer: (f: typeof answer) => (answer = f),
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const acquireFrom = (url: string, client = ClientAuth.basic("client", Redacted.make("secret")), timeout: Duration.DurationInput = "2 seconds") =>
  Effect.flatMap(OAuth2.makeClientCredentials({ tokenEndpoint: url, client, scope: ["read"], timeout }), (p) => p.acquire).pipe(
    Effect.provide(NodeHttpClient.layerUndici)
  )

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
(_: http.IncomingMessage, response: http.ServerResponse) => {
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body))
}

describe("the token endpoint", () => {
  it.live("decodes a token response, and sends the client's credentials as chosen", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      server.answer(json(200, { access_token: "at", token_type: "bearer", expires_in: 60, scope: "read" }))
      const tokens = yield* acquireFrom(server.url, ClientAuth.basic("my client", Redacted.make("s3cret:+")))
      assert.strictEqual(tokens.authorizationHeader, "Bearer at")
      assert.deepStrictEqual(tokens.scope, ["read"])
      assert.strictEqual(tokens.expiresAt.epochMillis - tokens.issuedAt!.epochMillis, 60_000)
      // RFC 6749 §2.3.1: form-encoded, then base64.
      assert.strictEqual(server.seen[0]!.headers.authorization, `Basic ${btoa("my+client:s3cret%3A%2B")}`)
      assert.strictEqual(new URLSearchParams(server.seen[0]!.body).get("grant_type"), "client_credentials")
      yield* acquireFrom(server.url, ClientAuth.post("c", Redacted.make("s")))
      const posted = new URLSearchParams(server.seen[1]!.body)
      assert.strictEqual(posted.get("client_secret"), "s")
      assert.isUndefined(server.seen[1]!.headers.authorization)
      yield* Effect.promise(server.close)
    }))

  it.effect("lifetimes count from when the request left, however long the answer took", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      server.answer(json(200, { access_token: "at", token_type: "Bearer", expires_in: 60, refresh_token: "rt", refresh_expires_in: 600 }))
      // A slow network, on the test clock: every answer arrives 10 seconds after its request.
      const slowNetwork = Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, HttpClient.tap(() => TestClock.adjust("10 seconds"))))
        .pipe(Layer.provide(NodeHttpClient.layerUndici))
      const sent = yield* Clock.currentTimeMillis
      const tokens = yield* Effect.flatMap(
        OAuth2.makeClientCredentials({ tokenEndpoint: server.url, client: ClientAuth.basic("c", Redacted.make("s")), timeout: "1 minute" }),
        (p) => p.acquire
      ).pipe(Effect.provide(slowNetwork))
      assert.strictEqual(yield* Clock.currentTimeMillis, sent + 10_000)
      assert.strictEqual(tokens.issuedAt!.epochMillis, sent)
      assert.strictEqual(tokens.expiresAt.epochMillis, sent + 60_000)
      assert.strictEqual(tokens.refreshExpiresAt!.epochMillis, sent + 600_000)
      yield* Effect.promise(server.close)
    }))

  it.live("an OAuth error response is a typed error carrying error and error_description", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      server.answer(json(401, { error: "invalid_client", error_description: "client authentication failed" }))
      const error = yield* Effect.flip(acquireFrom(server.url))
      assert.strictEqual(error._tag, "LoginFailedError")
      if (error._tag === "LoginFailedError") {
        assert.strictEqual(error.reason, "InvalidClient")
        assert.deepStrictEqual(error.oauth, { status: 401, error: "invalid_client", errorDescription: "client authentication failed" })
        assert.strictEqual(
          error.message,
          "Login failed (InvalidClient): invalid_client: client authentication failed. " +
            "The client was refused: check the client id and secret, and the client authentication method."
        )
        assert.isFalse(AuthError.isTransient(error))
      }
      yield* Effect.promise(server.close)
    }))

  it.live("a refused renewal says what to do once: the renewal's advice, not the login's", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      server.answer(json(400, { error: "invalid_grant", error_description: "refresh token expired" }))
      const current = TokenSet.make({ accessToken: Redacted.make("at"), expiresAt: DateTime.unsafeMake(0), refreshToken: Redacted.make("rt") })
      const error = yield* OAuth2.makePassword({
        tokenEndpoint: server.url,
        client: ClientAuth.none("public"),
        username: "ada",
        password: Redacted.make("pw")
      }).pipe(Effect.flatMap((provider) => Effect.flip(provider.refresh!(current))), Effect.provide(NodeHttpClient.layerUndici))
      assert.strictEqual(
        error.message,
        "Token refresh failed (InvalidGrant): invalid_grant: refresh token expired. " +
          "The refresh token is expired or revoked: log in again (e.g. `toshi login --relogin`)."
      )
      yield* Effect.promise(server.close)
    }))

  const garbage: Array<[string, (req: http.IncomingMessage, res: http.ServerResponse) => void, string, RegExp]> = [
    ["an HTML error page", (_, res) => res.writeHead(404, { "content-type": "text/html" }).end("<html><body><h1>Not Found</h1></body></html>"), "InvalidResponse", /404.*Not Found/],
    ["a 200 that is not JSON", (_, res) => res.writeHead(200).end("<html>login</html>"), "InvalidResponse", /not JSON/],
    ["truncated JSON", (_, res) => res.writeHead(200).end("{\"access_token\":\"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"), "InvalidResponse", /not JSON/],
    ["JSON without an access token", json(200, { token_type: "Bearer" }), "InvalidResponse", /not a token response/],
    ["a 500", (_, res) => res.writeHead(500).end("internal error"), "ServerError", /500/],
    ["an empty 502", (_, res) => res.writeHead(502).end(), "ServerError", /empty body/]
  ]
  for (const [name, answer, reason, message] of garbage) {
    it.live(`${name} is a typed ${reason} error with the status and a short excerpt`, () =>
      Effect.gen(function*() {
        const server = yield* Effect.promise(misbehaving)
        server.answer(answer)
        const error = yield* Effect.flip(acquireFrom(server.url))
        assert.strictEqual(error._tag, "LoginFailedError")
        assert.strictEqual((error as AuthError.LoginFailedError).reason, reason)
        assert.match(error.message, message)
        // Whatever the body carried that looks like a token stays out of the message.
        assert.notInclude(error.message, "eyJzdWIiOiJ4In0")
        yield* Effect.promise(server.close)
      }))
  }

  it.live("429 is RateLimited, transient, with the server's Retry-After", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      server.answer(json(429, { error: "slow_down" }, { "retry-after": "7" }))
      const error = yield* Effect.flip(acquireFrom(server.url))
      assert.strictEqual((error as AuthError.LoginFailedError).reason, "RateLimited")
      assert.isTrue(AuthError.isTransient(error))
      assert.isTrue(Duration.equals(AuthError.retryAfter(error)!, Duration.seconds(7)))
      yield* Effect.promise(server.close)
    }))

  it.live("a server slower than the timeout is a Timeout error, not a hang", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      server.answer((_, res) => setTimeout(() => res.writeHead(200).end("{}"), 3_000))
      const started = Date.now()
      const error = yield* Effect.flip(acquireFrom(server.url, undefined, "300 millis"))
      assert.strictEqual((error as AuthError.LoginFailedError).reason, "Timeout")
      assert.isBelow(Date.now() - started, 2_000)
      yield* Effect.promise(server.close)
    }))

  it.live("nobody listening is a Transport error", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      yield* Effect.promise(server.close)
      const error = yield* Effect.flip(acquireFrom(server.url))
      assert.strictEqual((error as AuthError.LoginFailedError).reason, "Transport")
      assert.isTrue(AuthError.isTransient(error))
    }))

  it.live("plain http is refused except on loopback, before anything is sent", () =>
    Effect.gen(function*() {
      for (const url of ["http://idp.example.org/token", "ftp://127.0.0.1/token", "not a url"]) {
        const error = yield* Effect.flip(acquireFrom(url))
        assert.strictEqual((error as AuthError.LoginFailedError).reason, "InvalidConfig", url)
      }
    }))
})

describe("through the TokenManager", () => {
  const managed = (url: string) =>
    Effect.flatMap(TokenManager.TokenManager, (m) => m.token).pipe(
      Effect.provide(TokenManager.layer({ retry: { initialDelay: "100 millis", maxAttempts: 3 } }).pipe(
        Layer.provide([
          OAuth2.clientCredentials({ tokenEndpoint: url, client: ClientAuth.basic("c", Redacted.make("s")) }),
          TokenStore.layerMemory,
          RefreshPolicy.layer(RefreshPolicy.raise),
          RefreshHooks.layerNoop
        ]),
        Layer.provide(NodeHttpClient.layerUndici)
      ))
    )

  it.live("transient failures (503, then 429 with Retry-After) are retried with backoff until a token comes", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      const answers = [
        (_: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(503).end("maintenance"),
        json(429, { error: "slow_down" }, { "retry-after": "1" }),
        json(200, { access_token: "finally", token_type: "Bearer", expires_in: 60 })
      ]
      server.answer((req, res) => answers[Math.min(server.seen.length - 1, 2)]!(req, res))
      const started = Date.now()
      const tokens = yield* managed(server.url)
      assert.strictEqual(tokens.authorizationHeader, "Bearer finally")
      assert.strictEqual(server.seen.length, 3)
      assert.isAtLeast(Date.now() - started, 1_000, "the Retry-After of 1 second was honoured")
      yield* Effect.promise(server.close)
    }))

  it.live("invalid_client is not retried", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      server.answer(json(401, { error: "invalid_client" }))
      const error = yield* Effect.flip(managed(server.url))
      assert.strictEqual((error as AuthError.LoginFailedError).reason, "InvalidClient")
      assert.strictEqual(server.seen.length, 1)
      yield* Effect.promise(server.close)
    }))
})

describe("the device flow's polling", () => {
  it.live("slow_down adds 5 seconds to the interval, then the approval comes through", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      const polls: Array<number> = []
      server.answer((req, res, body) => {
        if (req.url === "/device") {
          return json(200, { device_code: "dc", user_code: "ABCD-EFGH", verification_uri: "https://x/device", expires_in: 60, interval: 1 })(req, res)
        }
        polls.push(Date.now())
        assert.strictEqual(new URLSearchParams(body).get("device_code"), "dc")
        return polls.length === 1
          ? json(400, { error: "slow_down" })(req, res)
          : json(200, { access_token: "device-token", token_type: "Bearer", expires_in: 60 })(req, res)
      })
      const prompts: Array<OAuth2.DeviceCodePrompt> = []
      const tokens = yield* Effect.flatMap(
        OAuth2.makeDeviceCode({
          tokenEndpoint: server.url,
          deviceAuthorizationEndpoint: server.url.replace("/token", "/device"),
          client: ClientAuth.none("cli"),
          onPrompt: (prompt) => void prompts.push(prompt)
        }),
        (p) => p.acquire
      ).pipe(Effect.provide(NodeHttpClient.layerUndici))
      assert.strictEqual(tokens.authorizationHeader, "Bearer device-token")
      assert.strictEqual(prompts[0]?.userCode, "ABCD-EFGH")
      assert.isAtLeast(polls[1]! - polls[0]!, 5_900)
      yield* Effect.promise(server.close)
    }), 20_000)

  it.live("an issuer whose discovery document lacks an endpoint a grant needs is a typed error naming it", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      const issuer = new URL(server.url).origin
      server.answer(json(200, { issuer, token_endpoint: server.url }))
      const device = yield* OAuth2.makeDeviceCode({ issuer, client: ClientAuth.none("public"), onPrompt: () => undefined }).pipe(
        Effect.flatMap((provider) => Effect.flip(provider.acquire)),
        Effect.provide(NodeHttpClient.layerUndici)
      )
      assert.strictEqual(device._tag, "LoginFailedError")
      assert.strictEqual((device as AuthError.LoginFailedError).reason, "InvalidConfig")
      assert.include(device.message, "device_authorization_endpoint")
      const revoked = yield* OAuth2.revoke({ issuer, client: ClientAuth.none("public"), token: Redacted.make("rt") }).pipe(
        Effect.flip,
        Effect.provide(NodeHttpClient.layerUndici)
      )
      assert.strictEqual(revoked._tag, "RefreshFailedError")
      assert.include(revoked.message, "revocation_endpoint")
      // Only the discovery document was asked for: no grant was attempted without its endpoint.
      assert.isTrue(server.seen.every((request) => request.body === ""))
      yield* Effect.promise(server.close)
    }))

  it.live("a saved session's renewal that brings no refresh token and no scope keeps the old ones", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(misbehaving)
      server.answer(json(200, { access_token: "at-2", token_type: "Bearer", expires_in: 60 }))
      const current = TokenSet.make({
        accessToken: Redacted.make("at-1"),
        expiresAt: DateTime.unsafeMake(0),
        refreshToken: Redacted.make("rt-1"),
        scope: ["openid", "read"]
      })
      const renewed = yield* OAuth2.makeSavedSession({ tokenEndpoint: server.url, client: ClientAuth.none("public"), key: "work" }).pipe(
        Effect.flatMap((session) => session.refresh!(current)),
        Effect.provide(NodeHttpClient.layerUndici)
      )
      assert.strictEqual(Redacted.value(renewed.accessToken), "at-2")
      assert.strictEqual(Redacted.value(renewed.refreshToken!), "rt-1")
      assert.deepStrictEqual(renewed.scope, ["openid", "read"])
      assert.strictEqual(new URLSearchParams(server.seen[0]!.body).get("refresh_token"), "rt-1")
      yield* Effect.promise(server.close)
    }))
})
