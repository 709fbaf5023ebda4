import { assert, describe, it } from "@effect/vitest"
import { RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "@toshi/core"
import { start } from "@toshi/devserver"
import { NodeAuth } from "@toshi/node"
import { Browser, ClientAuth, OAuth2, Oidc } from "@toshi/providers"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

describe("a browser login end to end", () => {
  it("the real loopback receiver and HTTP client, the real identity provider, and a scripted browser", async () => {
    const server = await start()
    try {
      const user = server.users[0]!
      // The one stand-in: a person at a browser, signing in on the provider's own pages.
      const person = Layer.succeed(Browser.Browser, Browser.Browser.of({
        available: Effect.succeed(true),
        open: (url) => Effect.sync(() => void server.browse(url, { username: user.username, password: user.password })).pipe(Effect.as(true))
      }))
      const platform = Layer.merge(NodeAuth.layer(), person)
      const program = Effect.gen(function*() {
        const metadata = yield* Oidc.discover(server.issuer)
        const provider = OAuth2.authorizationCode({
          authorizationEndpoint: metadata.authorization_endpoint!,
          tokenEndpoint: metadata.token_endpoint,
          client: ClientAuth.none(server.clients.public.clientId),
          scope: ["openid", "offline_access"],
          idToken: Oidc.validation(metadata)
        })
        const first = yield* Effect.flatMap(TokenManager.TokenManager, (m) =>
          Effect.zip(m.token, m.forceRefresh)).pipe(
            Effect.provide(TokenManager.layer().pipe(
              Layer.provide([provider, TokenStore.layerMemory, RefreshPolicy.layer(RefreshPolicy.raise), RefreshHooks.layerNoop])
            ))
          )
        return first
      }).pipe(Effect.provide(platform))
      const [login, renewed] = await Effect.runPromise(program)
      assert.isDefined(login.idToken)
      assert.notStrictEqual(Redacted.value(renewed.accessToken), Redacted.value(login.accessToken))
      assert.isAtLeast(server.counts()["token"]!, 2)
    } finally {
      await server.stop()
    }
  })
})
