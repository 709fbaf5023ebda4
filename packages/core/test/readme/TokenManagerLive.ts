import { AuthError, AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenSet, TokenStore } from "@toshi/core"
import { DateTime, Effect, Layer, Redacted } from "effect"

// Your identity provider's answer; @toshi/providers has ready-made OAuth 2.0 and Cognito providers.
interface TokenResponse {
  readonly access_token: string
  readonly expires_in: number
}

export const makeTokenManagerLive = (fetchToken: () => Promise<TokenResponse>) => {
  const MyProvider = AuthProvider.layer({
    key: "my-api",
    acquire: Effect.gen(function*() {
      const response = yield* Effect.tryPromise({
        try: fetchToken,
        catch: (cause) => new AuthError.LoginFailedError({ reason: "Transport", description: "token request failed", cause })
      })
      const now = yield* DateTime.now
      return TokenSet.make({
        accessToken: Redacted.make(response.access_token),
        issuedAt: now,
        expiresAt: DateTime.addDuration(now, `${response.expires_in} seconds`)
      })
    })
  })

  return TokenManager.layer({ refreshAhead: "2 minutes" }).pipe(
    Layer.provide([
      MyProvider,
      TokenStore.layerMemory,
      RefreshPolicy.layer(RefreshPolicy.raise),
      RefreshHooks.layer({
        onRefreshSuccess: (context) => Effect.logInfo(`token renewed (${context.reason}, attempt ${context.attempt})`)
      })
    ])
  )
}

// Every request gets a valid header; the token is fetched once and renewed ahead of expiry.
export const callApi = Effect.gen(function*() {
  const headers = yield* TokenManager.headers
  return headers
})
