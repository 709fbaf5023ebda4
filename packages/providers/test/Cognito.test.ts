import { NodeHttpClient } from "@effect/platform-node"
import * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { AuthError, Jwt, RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "@toshi/core"
import { type LocalCognito, startCognito } from "@toshi/devserver"
import { Cognito } from "@toshi/providers"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as Tracer from "effect/Tracer"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

let cognito: LocalCognito
beforeAll(async () => {
  cognito = await startCognito()
}, 60_000)
afterAll(() => cognito?.stop())

/** Runs with the real undici HTTP client: the AWS SDK sends through it. */
const run = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>) => Effect.runPromise(Effect.provide(effect, NodeHttpClient.layerUndici))

const options = (overrides: Partial<Cognito.UserPasswordOptions> = {}): Cognito.UserPasswordOptions => ({
  region: cognito.region,
  endpoint: cognito.endpoint,
  clientId: cognito.clientId,
  username: cognito.users[0]!.username,
  password: Redacted.make(cognito.users[0]!.password),
  ...overrides
})

describe("Cognito.userPassword against cognito-local, through the real AWS SDK", () => {
  it("logs in with USER_PASSWORD_AUTH and renews with REFRESH_TOKEN_AUTH, keeping the refresh token", async () => {
    const [first, renewed] = await run(Effect.gen(function*() {
      const manager = yield* TokenManager.TokenManager
      const first = yield* manager.token
      return [first, yield* manager.forceRefresh] as const
    }).pipe(Effect.provide(TokenManager.layer({ backgroundRefresh: false }).pipe(
      Layer.provide([Cognito.userPassword(options()), TokenStore.layerMemory, RefreshPolicy.layer(RefreshPolicy.raise), RefreshHooks.layerNoop])
    ))))
    const claims = Option.getOrThrow(Jwt.unverifiedClaims(Redacted.value(first.idToken!)))
    assert.strictEqual(claims["email"], cognito.users[0]!.username)
    assert.strictEqual(claims["iss"], `${cognito.endpoint}/${cognito.userPoolId}`)
    assert.isAbove(first.expiresAt.epochMillis, Date.now())
    assert.notStrictEqual(Redacted.value(renewed.accessToken), Redacted.value(first.accessToken))
    // REFRESH_TOKEN_AUTH returns no refresh token: the old one stays.
    assert.strictEqual(Redacted.value(renewed.refreshToken!), Redacted.value(first.refreshToken!))
  })

  it.effect("a token's life counts from when the request left, not from when a slow answer came", () =>
    Effect.gen(function*() {
      // The SDK's calls run on the caller's runtime: its clock is this test's TestClock, and every
      // answer arrives ten seconds of it after the request left.
      yield* TestClock.setTime(Date.now())
      const slowNetwork = Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, HttpClient.tap(() => TestClock.adjust("10 seconds"))))
        .pipe(Layer.provide(NodeHttpClient.layerUndici))
      const before = yield* Clock.currentTimeMillis
      const tokens = yield* Effect.flatMap(Cognito.makeUserPassword(options()), (p) => p.acquire).pipe(Effect.provide(slowNetwork))
      assert.strictEqual(yield* Clock.currentTimeMillis, before + 10_000)
      assert.strictEqual(tokens.issuedAt!.epochMillis, before)
    }))

  it.effect("the SDK's requests are spans of the application's tracer", () =>
    Effect.gen(function*() {
      const native = yield* Effect.tracer
      const spans: Array<string> = []
      const recording = Tracer.make({
        span: (name, ...rest) => {
          spans.push(name)
          return native.span(name, ...rest)
        },
        context: (f, fiber) => native.context(f, fiber)
      })
      yield* Effect.flatMap(Cognito.makeUserPassword(options()), (p) => p.acquire).pipe(Effect.withTracer(recording))
      assert.include(spans, "http.client POST")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.effect("a call that gets no answer times out on the application's clock, as a transient Timeout", () =>
    Effect.gen(function*() {
      // A server that takes every request and never answers.
      const received = yield* Deferred.make<void>()
      const server = yield* Effect.acquireRelease(
        Effect.async<Http.Server>((resume) => {
          const server = Http.createServer(() => Deferred.unsafeDone(received, Exit.void))
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) => Effect.sync(() => server.close()).pipe(Effect.zipRight(Effect.sync(() => server.closeAllConnections())))
      )
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const provider = yield* Cognito.makeUserPassword(options({ endpoint, timeout: "1 hour" }))
      const attempt = yield* Effect.fork(Effect.flip(provider.acquire))
      yield* Deferred.await(received)
      // An hour on the TestClock, not on the wall: on a clock of its own the call would hang here.
      yield* TestClock.adjust("1 hour")
      const error = yield* Fiber.join(attempt)
      assert.strictEqual((error as AuthError.LoginFailedError).reason, "Timeout")
      assert.include(error.message, "did not answer in time (no answer within 1h)")
      assert.isTrue(AuthError.isTransient(error))
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it("a wrong password, an unknown user and an unknown client are typed errors", async () => {
    const failure = (o: Cognito.UserPasswordOptions) =>
      run(Effect.flatMap(Cognito.makeUserPassword(o), (p) => Effect.flip(p.acquire)))
    const wrong = await failure(options({ password: Redacted.make("not-the-password") }))
    assert.strictEqual((wrong as AuthError.LoginFailedError).reason, "InvalidCredentials")
    assert.notInclude(wrong.message, "not-the-password")
    // Like Cognito with PreventUserExistenceErrors (the default), an unknown user is not revealed.
    const unknown = await failure(options({ username: "nobody@example.org" }))
    assert.strictEqual((unknown as AuthError.LoginFailedError).reason, "InvalidCredentials")
    assert.include(unknown.message, "wrong username or password")
    const badClient = await failure(options({ clientId: "no-such-client" }))
    assert.strictEqual(badClient._tag, "LoginFailedError")
    assert.isFalse(AuthError.isTransient(badClient))
  })

  it("a first login with a temporary password is a typed NewPasswordRequired that says what to do", async () => {
    const newcomer = cognito.users.find((u) => u.mustChangePassword === true)!
    const error = await run(Effect.flatMap(
      Cognito.makeUserPassword(options({ username: newcomer.username, password: Redacted.make(newcomer.password) })),
      (p) => Effect.flip(p.acquire)
    ))
    assert.strictEqual((error as AuthError.LoginFailedError).reason, "NewPasswordRequired")
    assert.include(error.message, "new password")
  })

  it("an unreachable endpoint is a transient Transport error", async () => {
    const error = await run(Effect.flatMap(
      Cognito.makeUserPassword(options({ endpoint: "http://127.0.0.1:9" })),
      (p) => Effect.flip(p.acquire)
    ))
    assert.strictEqual((error as AuthError.LoginFailedError).reason, "Transport")
    assert.isTrue(AuthError.isTransient(error))
  })
})

describe("Cognito.revoke", () => {
  it("a revoked refresh token no longer renews (RevokeToken against cognito-local)", async () => {
    const error = await run(Effect.gen(function*() {
      const provider = yield* Cognito.makeUserPassword(options())
      const tokens = yield* provider.acquire
      yield* Cognito.revoke({ region: cognito.region, endpoint: cognito.endpoint, clientId: cognito.clientId, refreshToken: tokens.refreshToken! })
      return yield* Effect.flip(provider.refresh!(tokens))
    }))
    assert.strictEqual(error._tag, "RefreshFailedError")
    assert.strictEqual((error as AuthError.RefreshFailedError).reason, "InvalidGrant")
  })
})
