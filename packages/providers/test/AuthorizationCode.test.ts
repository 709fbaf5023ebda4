import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { NodeHttpClient } from "@effect/platform-node"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { AuthError, type AuthProvider } from "@toshi/core"
import { type DevServer, start } from "@toshi/devserver"
import { Browser, ClientAuth, OAuth2, Oidc, RedirectReceiver } from "@toshi/providers"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

let server: DevServer
beforeAll(async () => {
  server = await start()
})
afterAll(() => server?.stop())

/** A loopback receiver for these tests (`@toshi/node` has the real one, tested there). */
const testReceiver = RedirectReceiver.RedirectReceiver.of({
  listen: (options) =>
    Effect.gen(function*() {
      const received = yield* Deferred.make<URLSearchParams>()
      const path = options?.path ?? "/callback"
      const httpServer = yield* Effect.acquireRelease(
        Effect.async<http.Server>((resume) => {
          const s = http.createServer((req, res) => {
            const url = new URL(req.url ?? "/", "http://127.0.0.1")
            if (url.pathname !== path) return void res.writeHead(404).end()
            Deferred.unsafeDone(received, Effect.succeed(url.searchParams))
            res.writeHead(200, { "content-type": "text/plain" }).end("done")
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.async<void>((resume) => void s.close(() => resume(Effect.void)))
      )
      return {
        redirectUri: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}${path}`,
        callback: Deferred.await(received)
      }
    })
})

/** A "browser" that signs in on the devserver's pages as the first user, optionally tampering. */
const testBrowser = (behaviour: { deny?: boolean; tamper?: (url: URL) => void; available?: boolean; opens?: boolean; idle?: boolean } = {}) =>
  Browser.Browser.of({
    available: Effect.succeed(behaviour.available ?? true),
    open: (href) =>
      Effect.sync(() => {
        if (behaviour.opens === false) return false
        if (behaviour.idle === true) return true
        const url = new URL(href)
        behaviour.tamper?.(url)
        void server.browse(url.href, { username: server.users[0]!.username, password: server.users[0]!.password }, { deny: behaviour.deny ?? false })
        return true
      })
  })

const run = (browser: Browser.BrowserService, provider: Effect.Effect<AuthProvider.AuthProviderService, AuthError.AuthError, any>) =>
  Effect.runPromise(Effect.either(Effect.flatMap(provider, (p) => p.acquire).pipe(
    Effect.provide(Layer.mergeAll(
      NodeHttpClient.layerUndici,
      Layer.succeed(RedirectReceiver.RedirectReceiver, testReceiver),
      Layer.succeed(Browser.Browser, browser)
    ))
  ) as Effect.Effect<any, AuthError.AuthError, never>))

const acquire = (
  browser: Browser.BrowserService,
  overrides: Partial<OAuth2.AuthorizationCodeSettings> & {
    readonly deviceFallback?: { readonly deviceAuthorizationEndpoint: string; readonly onPrompt: OAuth2.DeviceCodeOptions["onPrompt"] }
  } = {}
) =>
  run(
    browser,
    Effect.gen(function*() {
      const metadata = yield* Oidc.discover(server.issuer)
      return yield* OAuth2.makeAuthorizationCode({
        authorizationEndpoint: metadata.authorization_endpoint!,
        tokenEndpoint: metadata.token_endpoint,
        client: ClientAuth.none(server.clients.public.clientId),
        scope: ["openid", "offline_access"],
        idToken: Oidc.validation(metadata),
        ...overrides
      })
    })
  )

describe("OAuth2.authorizationCode", () => {
  it("signs in through the browser with PKCE, checks state and nonce, and gets tokens", async () => {
    const result = await acquire(testBrowser())
    assert.strictEqual(result._tag, "Right", result._tag === "Left" ? result.left.message : "")
    if (result._tag === "Right") {
      assert.isDefined(result.right.refreshToken)
      assert.isDefined(result.right.idToken)
    }
  })

  it("a denial in the browser is a typed AccessDenied carrying the server's error", async () => {
    const result = await acquire(testBrowser({ deny: true }))
    assert.strictEqual(result._tag, "Left")
    if (result._tag === "Left") {
      assert.strictEqual((result.left as AuthError.LoginFailedError).reason, "AccessDenied")
      assert.strictEqual((result.left as AuthError.LoginFailedError).oauth?.error, "access_denied")
    }
  })

  it("a callback with another state is refused", async () => {
    const result = await acquire(testBrowser({ tamper: (url) => url.searchParams.set("state", "forged") }))
    assert.strictEqual(result._tag, "Left")
    if (result._tag === "Left") assert.match(result.left.message, /state/)
  })

  it("nobody finishing in the browser ends with a typed timeout", async () => {
    const result = await acquire(testBrowser({ idle: true }), { loginTimeout: "300 millis" })
    assert.strictEqual(result._tag === "Left" && (result.left as AuthError.LoginFailedError).reason, "Expired")
  })

  it("without a browser it falls back to the device flow, or says what to do", async () => {
    const deviceFallback = {
      deviceAuthorizationEndpoint: server.endpoints.deviceAuthorization,
      onPrompt: (prompt: OAuth2.DeviceCodePrompt) => void server.approveDeviceCode(prompt.userCode)
    }
    const viaDevice = await acquire(testBrowser({ available: false }), { deviceFallback })
    assert.strictEqual(viaDevice._tag, "Right")
    const failedToOpen = await acquire(testBrowser({ opens: false }), { deviceFallback })
    assert.strictEqual(failedToOpen._tag, "Right")
    const none = await acquire(testBrowser({ available: false }))
    assert.strictEqual(none._tag === "Left" && (none.left as AuthError.LoginFailedError).reason, "Unsupported")
    assert.isTrue(none._tag === "Left" && AuthError.isAuthError(none.left))
  }, 30_000)

  it("with an issuer, discovery gives the authorization, token and device endpoints and the ID token checks", async () => {
    const withIssuer = (deviceFallback?: { readonly onPrompt: OAuth2.DeviceCodeOptions["onPrompt"] }) =>
      OAuth2.makeAuthorizationCode({
        issuer: server.issuer,
        client: ClientAuth.none(server.clients.public.clientId),
        scope: ["openid", "offline_access"],
        deviceFallback
      })
    const viaBrowser = await run(testBrowser(), withIssuer())
    assert.strictEqual(viaBrowser._tag, "Right", viaBrowser._tag === "Left" ? viaBrowser.left.message : "")
    if (viaBrowser._tag === "Right") assert.isDefined(viaBrowser.right.idToken)
    const viaDevice = await run(
      testBrowser({ available: false }),
      withIssuer({ onPrompt: (prompt) => void server.approveDeviceCode(prompt.userCode) })
    )
    assert.strictEqual(viaDevice._tag, "Right", viaDevice._tag === "Left" ? viaDevice.left.message : "")
  }, 30_000)
})

