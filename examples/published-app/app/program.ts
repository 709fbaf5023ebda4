/**
 * A user's Effect program, type-checked (strict, NodeNext) and run against the installed
 * tarballs: a machine token from the devserver by client credentials, verified by @toshi/server.
 * It prints what it checked, never the token.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "@toshi/core"
import * as NodeAuth from "@toshi/node/NodeAuth"
import * as ClientAuth from "@toshi/providers/ClientAuth"
import * as OAuth2 from "@toshi/providers/OAuth2"
import * as JwtVerifier from "@toshi/server/JwtVerifier"
import { Config, Console, Effect, Layer, Redacted } from "effect"

const TokenManagerLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const tokenEndpoint = yield* Config.string("TOKEN_ENDPOINT")
    const clientId = yield* Config.string("CLIENT_ID")
    const clientSecret = yield* Config.redacted("CLIENT_SECRET")
    return TokenManager.layer().pipe(
      Layer.provide([
        OAuth2.clientCredentials({ tokenEndpoint, client: ClientAuth.basic(clientId, clientSecret), scope: ["read"] }),
        TokenStore.layerMemory,
        RefreshPolicy.layer(RefreshPolicy.raise),
        RefreshHooks.layerNoop
      ])
    )
  })
)

const VerifierLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const issuer = yield* Config.string("ISSUER")
    const jwksUri = yield* Config.string("JWKS_URI")
    const resource = yield* Config.string("RESOURCE")
    return JwtVerifier.layer({ issuer, jwksUri, audiences: [resource] })
  })
)

const program = Effect.gen(function*() {
  const tokens = yield* TokenManager.token
  const verifier = yield* JwtVerifier.JwtVerifier
  const claims = yield* verifier.verify(Redacted.value(tokens.accessToken))
  yield* Console.log(JSON.stringify({ tokenType: tokens.tokenType, aud: claims["aud"], scope: claims["scope"] }))
})

program.pipe(
  Effect.provide(Layer.mergeAll(TokenManagerLive, VerifierLive)),
  Effect.provide(NodeAuth.layer()),
  NodeRuntime.runMain
)
