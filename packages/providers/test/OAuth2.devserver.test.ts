import { NodeHttpClient } from "@effect/platform-node"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { AuthError, AuthProvider, Jwt, RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "@toshi/core"
import { type DevServer, start, totp } from "@toshi/devserver"
import { ClientAuth, OAuth2, Oidc } from "@toshi/providers"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

let server: DevServer
let shortLived: DevServer

beforeAll(async () => {
  server = await start()
  shortLived = await start({ accessTokenTtl: 2 })
})
afterAll(async () => {
  await server?.stop()
  await shortLived?.stop()
})

const run = <A, E>(effect: Effect.Effect<A, E, import("@effect/platform/HttpClient").HttpClient>) =>
  Effect.runPromise(Effect.provide(effect, NodeHttpClient.layerUndici))

const runEither = <A, E>(effect: Effect.Effect<A, E, import("@effect/platform/HttpClient").HttpClient>) =>
  run(Effect.either(effect))

const confidential = (s: DevServer) => ({
  tokenEndpoint: s.endpoints.token,
  client: ClientAuth.basic(s.clients.confidential.clientId, Redacted.make(s.clients.confidential.clientSecret)),
  resource: s.resource,
  scope: ["read", "write"]
})

const passwordClient = (s: DevServer, user = s.users[0]!) => ({
  tokenEndpoint: s.endpoints.token,
  client: ClientAuth.basic(s.clients.password.clientId, Redacted.make(s.clients.password.clientSecret)),
  username: user.username,
  password: Redacted.make(user.password),
  scope: ["openid", "offline_access"]
})

/** A manager over a provider layer, with a memory store. */
const managerLayer = (
  provider: Layer.Layer<AuthProvider.AuthProvider, never, import("@effect/platform/HttpClient").HttpClient>,
  policy = RefreshPolicy.raise,
  options?: TokenManager.Options
) =>
  TokenManager.layer(options).pipe(
    Layer.provide([provider, TokenStore.layerMemory, RefreshPolicy.layer(policy), RefreshHooks.layerNoop]),
    Layer.provide(NodeHttpClient.layerUndici)
  )

describe("OAuth 2.0 grants against the local identity provider", () => {
  it("discovery finds the endpoints, once per issuer", async () => {
    server.resetCounts()
    const metadata = await run(Oidc.discover(server.issuer))
    assert.strictEqual(metadata.token_endpoint, server.endpoints.token)
    assert.strictEqual(metadata.device_authorization_endpoint, server.endpoints.deviceAuthorization)
    await run(Oidc.discover(`${server.issuer}/`))
    assert.strictEqual(Object.values(server.counts()).reduce((a, b) => a + b, 0), 1)
  })

  it("client credentials, with Basic and with post: a JWT access token for the API, with its scopes", async () => {
    for (const client of [
      ClientAuth.basic(server.clients.confidential.clientId, Redacted.make(server.clients.confidential.clientSecret)),
      ClientAuth.post(server.clients.confidential.clientId, Redacted.make(server.clients.confidential.clientSecret))
    ]) {
      const tokens = await run(Effect.flatMap(OAuth2.makeClientCredentials({ ...confidential(server), client }), (p) => p.acquire))
      const claims = Option.getOrThrow(Jwt.unverifiedClaims(Redacted.value(tokens.accessToken)))
      assert.strictEqual(claims["aud"], server.resource)
      assert.deepStrictEqual([...tokens.scope].sort(), ["read", "write"])
      assert.isAbove(tokens.expiresAt.epochMillis, Date.now())
    }
  })

  it("100 concurrent callers of a client-credentials manager cause one token request", async () => {
    server.resetCounts()
    const headers = await Effect.runPromise(
      Effect.all(Array.from({ length: 100 }, () => TokenManager.headers), { concurrency: "unbounded" }).pipe(
        Effect.provide(managerLayer(OAuth2.clientCredentials(confidential(server))))
      )
    )
    assert.strictEqual(new Set(headers.map((h) => h["authorization"])).size, 1)
    assert.strictEqual(server.counts()["token"], 1)
  })

  it("a wrong client secret is a typed invalid_client error", async () => {
    const result = await runEither(Effect.flatMap(
      OAuth2.makeClientCredentials({
        ...confidential(server),
        client: ClientAuth.basic(server.clients.confidential.clientId, Redacted.make("wrong"))
      }),
      (p) => p.acquire
    ))
    assert.strictEqual(result._tag, "Left")
    if (result._tag === "Left") {
      assert.strictEqual(result.left._tag, "LoginFailedError")
      assert.strictEqual((result.left as AuthError.LoginFailedError).reason, "InvalidClient")
      assert.strictEqual((result.left as AuthError.LoginFailedError).oauth?.error, "invalid_client")
      assert.notInclude(result.left.message, "wrong")
    }
  })

  it("the password grant logs in, renews with its refresh token, and refuses a wrong password", async () => {
    const [first, renewed] = await run(Effect.gen(function*() {
      const provider = yield* OAuth2.makePassword(passwordClient(server))
      const first = yield* provider.acquire
      return [first, yield* provider.refresh!(first)] as const
    }))
    assert.isDefined(first.refreshToken)
    assert.isDefined(first.idToken)
    assert.notStrictEqual(Redacted.value(renewed.accessToken), Redacted.value(first.accessToken))
    const wrong = await run(Effect.flatMap(
      OAuth2.makePassword({ ...passwordClient(server), password: Redacted.make("not-it") }),
      (p) => Effect.flip(p.acquire)
    ))
    assert.strictEqual((wrong as AuthError.LoginFailedError).reason, "InvalidCredentials")
    assert.strictEqual((wrong as AuthError.LoginFailedError).oauth?.error, "invalid_grant")
  })

  it("a user with TOTP needs the one-time code", async () => {
    const user = server.users.find((u) => u.totpSecret !== undefined)!
    const without = await run(Effect.flatMap(OAuth2.makePassword(passwordClient(server, user)), (p) => Effect.flip(p.acquire)))
    assert.strictEqual((without as AuthError.LoginFailedError).reason, "InvalidCredentials")
    const tokens = await run(Effect.flatMap(
      OAuth2.makePassword({ ...passwordClient(server, user), totp: async () => totp(user.totpSecret!) }),
      (p) => p.acquire
    ))
    assert.isAbove(tokens.expiresAt.epochMillis, Date.now())
  })

  it("refresh token rotation: the old refresh token is refused, as a typed InvalidGrant", async () => {
    const reused = await run(Effect.gen(function*() {
      const provider = yield* OAuth2.makePassword(passwordClient(server))
      const first = yield* provider.acquire
      yield* provider.refresh!(first)
      return yield* Effect.flip(provider.refresh!(first))
    }))
    assert.strictEqual(reused._tag, "RefreshFailedError")
    assert.strictEqual((reused as AuthError.RefreshFailedError).reason, "InvalidGrant")
  })

  it("a revoked session: the manager logs in again with relogin, and raises with raise", async () => {
    for (const policy of [RefreshPolicy.relogin, RefreshPolicy.raise]) {
      const outcome = await Effect.runPromise(Effect.gen(function*() {
        const manager = yield* TokenManager.TokenManager
        const first = yield* manager.token
        yield* Effect.promise(() => server.revokeGrants({ username: server.users[0]!.username }))
        return yield* Effect.either(Effect.map(manager.forceRefresh, (t) => [first, t] as const))
      }).pipe(Effect.provide(managerLayer(OAuth2.password(passwordClient(server)), policy, { backgroundRefresh: false }))))
      if (policy === RefreshPolicy.relogin) {
        assert.strictEqual(outcome._tag, "Right")
        if (outcome._tag === "Right") {
          assert.notStrictEqual(Redacted.value(outcome.right[0].accessToken), Redacted.value(outcome.right[1].accessToken))
        }
      } else {
        assert.strictEqual(outcome._tag, "Left")
        if (outcome._tag === "Left") assert.strictEqual((outcome.left as AuthError.RefreshFailedError).reason, "InvalidGrant")
      }
    }
  })

  it("a refresh token obtained elsewhere starts a session that renews", async () => {
    const [first, renewed] = await run(Effect.gen(function*() {
      const login = yield* OAuth2.makePassword(passwordClient(server))
      const elsewhere = yield* login.acquire
      const provider = yield* OAuth2.makeRefreshToken({
        tokenEndpoint: server.endpoints.token,
        client: ClientAuth.basic(server.clients.password.clientId, Redacted.make(server.clients.password.clientSecret)),
        refreshToken: elsewhere.refreshToken!
      })
      const first = yield* provider.acquire
      return [first, yield* provider.refresh!(first)] as const
    }))
    assert.isDefined(first.refreshToken)
    assert.notStrictEqual(Redacted.value(renewed.accessToken), Redacted.value(first.accessToken))
  })

  it("a device code nobody approves in time is a typed Expired error", async () => {
    const quick = await start({ deviceCodeTtl: 2 })
    try {
      const expired = await run(Effect.flatMap(
        OAuth2.makeDeviceCode({
          tokenEndpoint: quick.endpoints.token,
          deviceAuthorizationEndpoint: quick.endpoints.deviceAuthorization,
          client: ClientAuth.none(quick.clients.public.clientId),
          scope: ["openid"],
          onPrompt: () => undefined
        }),
        (p) => Effect.flip(p.acquire)
      ))
      assert.strictEqual((expired as AuthError.LoginFailedError).reason, "Expired")
    } finally {
      await quick.stop()
    }
  }, 30_000)

  it("the device flow shows the code, waits for approval, and gets tokens; a denial is typed", async () => {
    const approved = await run(Effect.flatMap(
      OAuth2.makeDeviceCode({
        tokenEndpoint: server.endpoints.token,
        deviceAuthorizationEndpoint: server.endpoints.deviceAuthorization,
        client: ClientAuth.none(server.clients.public.clientId),
        scope: ["openid", "offline_access"],
        onPrompt: (prompt) => {
          assert.include(prompt.verificationUriComplete ?? "", prompt.userCode)
          void server.approveDeviceCode(prompt.userCode)
        }
      }),
      (p) => Effect.zip(p.acquire, Effect.succeed(p))
    ).pipe(Effect.flatMap(([tokens, p]) => Effect.map(p.refresh!(tokens), (renewed) => [tokens, renewed] as const))))
    assert.isDefined(approved[0].refreshToken)
    assert.notStrictEqual(Redacted.value(approved[1].accessToken), Redacted.value(approved[0].accessToken))
    const denied = await run(Effect.flatMap(
      OAuth2.makeDeviceCode({
        tokenEndpoint: server.endpoints.token,
        deviceAuthorizationEndpoint: server.endpoints.deviceAuthorization,
        client: ClientAuth.none(server.clients.public.clientId),
        scope: ["openid"],
        onPrompt: (prompt) => void server.denyDeviceCode(prompt.userCode)
      }),
      (p) => Effect.flip(p.acquire)
    ))
    assert.strictEqual((denied as AuthError.LoginFailedError).reason, "AccessDenied")
  }, 30_000)

  it("2-second tokens are renewed in the background for 3 cycles on the real clock, always valid", async () => {
    shortLived.resetCounts()
    const seen = await Effect.runPromise(Effect.gen(function*() {
      const manager = yield* TokenManager.TokenManager
      const tokens = new Set<string>()
      const end = Date.now() + 7_000
      while (Date.now() < end) {
        const t = yield* manager.token
        assert.isAbove(t.expiresAt.epochMillis, Date.now())
        tokens.add(Redacted.value(t.accessToken))
        yield* Effect.sleep("100 millis")
      }
      return tokens
    }).pipe(Effect.provide(managerLayer(OAuth2.password(passwordClient(shortLived))))))
    assert.isAtLeast(seen.size, 4)
    assert.isAtLeast(shortLived.counts()["token"]!, 4)
    assert.isAtMost(shortLived.counts()["token"]!, 8)
  }, 20_000)

  it("a revoked client makes a daemon's renewal fail with a typed error", async () => {
    const result = await Effect.runPromise(Effect.gen(function*() {
      const manager = yield* TokenManager.TokenManager
      yield* manager.token
      shortLived.revokeClient(shortLived.clients.confidential.clientId)
      return yield* Effect.either(Effect.raceFirst(Effect.never, manager.keepFresh))
    }).pipe(Effect.provide(managerLayer(OAuth2.clientCredentials(confidential(shortLived))))))
    shortLived.restoreClient(shortLived.clients.confidential.clientId)
    assert.strictEqual(result._tag, "Left")
    if (result._tag === "Left") {
      assert.strictEqual(result.left._tag, "RefreshFailedError")
      assert.strictEqual((result.left as AuthError.RefreshFailedError).reason, "InvalidClient")
    }
  }, 20_000)
})

describe("OAuth 2.0 grants given an issuer instead of endpoints", () => {
  it("every grant finds its endpoints through one discovery per process, and renews and revokes through it", async () => {
    const fresh = await start()
    try {
      const user = fresh.users.find((u) => u.totpSecret === undefined)!
      const password = {
        issuer: fresh.issuer,
        client: ClientAuth.basic(fresh.clients.password.clientId, Redacted.make(fresh.clients.password.clientSecret)),
        username: user.username,
        password: Redacted.make(user.password),
        scope: ["openid", "offline_access"]
      }
      const outcome = await run(Effect.gen(function*() {
        const machine = yield* OAuth2.makeClientCredentials({
          issuer: fresh.issuer,
          client: ClientAuth.basic(fresh.clients.confidential.clientId, Redacted.make(fresh.clients.confidential.clientSecret)),
          resource: fresh.resource,
          scope: ["read"]
        })
        const m2m = yield* machine.acquire
        const person = yield* OAuth2.makePassword(password)
        const first = yield* person.acquire
        const renewed = yield* person.refresh!(first)
        const device = yield* OAuth2.makeDeviceCode({
          issuer: fresh.issuer,
          client: ClientAuth.none(fresh.clients.public.clientId),
          scope: ["openid", "offline_access"],
          onPrompt: (prompt) => void fresh.approveDeviceCode(prompt.userCode)
        })
        const approved = yield* device.acquire
        yield* OAuth2.revoke({ issuer: fresh.issuer, client: password.client, token: renewed.refreshToken!, tokenTypeHint: "refresh_token" })
        const afterRevoke = yield* Effect.flip(person.refresh!(renewed))
        return { m2m, first, renewed, approved, afterRevoke, key: person.key }
      }))
      assert.strictEqual(Option.getOrThrow(Jwt.unverifiedClaims(Redacted.value(outcome.m2m.accessToken)))["aud"], fresh.resource)
      // The ID token was checked against the issuer's keys: discovery gives the checks too.
      assert.isDefined(outcome.first.idToken)
      assert.notStrictEqual(Redacted.value(outcome.renewed.accessToken), Redacted.value(outcome.first.accessToken))
      assert.isDefined(outcome.approved.refreshToken)
      assert.strictEqual(outcome.afterRevoke._tag, "RefreshFailedError")
      assert.strictEqual((outcome.afterRevoke as AuthError.RefreshFailedError).reason, "InvalidGrant")
      assert.strictEqual(outcome.key, `oauth2:${fresh.issuer}#${fresh.clients.password.clientId}#${user.username}`)
      assert.strictEqual(fresh.counts()["discovery"], 1)
    } finally {
      await fresh.stop()
    }
  }, 30_000)

  it("a saved session renews with its refresh token through the issuer, and cannot log in by itself", async () => {
    const [saved, renewed, missing] = await run(Effect.gen(function*() {
      const login = yield* OAuth2.makePassword(passwordClient(server))
      const saved = yield* login.acquire
      const session = yield* OAuth2.makeSavedSession({
        issuer: server.issuer,
        client: passwordClient(server).client,
        key: "work",
        notLoggedIn: "not logged in to profile work: run `toshi login --profile work`"
      })
      return [saved, yield* session.refresh!(saved), yield* Effect.flip(session.acquire)] as const
    }))
    assert.notStrictEqual(Redacted.value(renewed.accessToken), Redacted.value(saved.accessToken))
    assert.isDefined(renewed.refreshToken)
    assert.deepStrictEqual(renewed.scope, saved.scope)
    assert.strictEqual(missing._tag, "NoCredentialsError")
    assert.include(missing.message, "toshi login --profile work")
  })

  it("an issuer that cannot be reached fails the login with a typed, transient error, not the layer", async () => {
    const provider = await run(OAuth2.makeClientCredentials({
      issuer: "http://127.0.0.1:9",
      client: ClientAuth.basic("svc", Redacted.make("secret")),
      timeout: "2 seconds"
    }))
    const error = await run(Effect.flip(provider.acquire))
    assert.strictEqual(error._tag, "LoginFailedError")
    assert.isTrue(AuthError.isTransient(error))
  })
})

describe("OAuth2.revoke (RFC 7009)", () => {
  it("a revoked refresh token no longer renews, and revoking it again still succeeds", async () => {
    const after = await run(Effect.gen(function*() {
      const provider = yield* OAuth2.makePassword(passwordClient(server))
      const tokens = yield* provider.acquire
      const revoke = OAuth2.revoke({
        revocationEndpoint: server.endpoints.revocation,
        client: passwordClient(server).client,
        token: tokens.refreshToken!,
        tokenTypeHint: "refresh_token"
      })
      yield* revoke
      const after = yield* Effect.either(provider.refresh!(tokens))
      yield* revoke
      return after
    }))
    assert.isTrue(after._tag === "Left" && after.left._tag === "RefreshFailedError" && after.left.reason === "InvalidGrant")
  })
})
