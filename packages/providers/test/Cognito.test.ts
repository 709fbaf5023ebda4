import { NodeHttpClient } from "@effect/platform-node"
import * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { AuthError, Jwt, RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "@toshi/core"
import { type LocalCognito, startCognito } from "@toshi/devserver"
import { Cognito } from "@toshi/providers"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

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

  it("a token's life counts from when the request left, not from when a slow answer came", async () => {
    // Every answer is handed on 300 ms after it arrived (the SDK's calls run on the live clock).
    let arrived = 0
    const slowNetwork = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, HttpClient.tap(() => Effect.zipRight(Effect.sync(() => (arrived = Date.now())), Effect.sleep("300 millis"))))
    ).pipe(Layer.provide(NodeHttpClient.layerUndici))
    const before = Date.now()
    const tokens = await Effect.runPromise(
      Effect.flatMap(Cognito.makeUserPassword(options()), (p) => p.acquire).pipe(Effect.provide(slowNetwork))
    )
    assert.isAtLeast(tokens.issuedAt!.epochMillis, before)
    assert.isAtMost(tokens.issuedAt!.epochMillis, arrived)
  })

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
