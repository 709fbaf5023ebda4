import { type AuthError, RefreshHooks, RefreshPolicy, TokenManager } from "@toshi/core"
import { NodeAuth } from "@toshi/node"
import { CognitoConfig, Detect } from "@toshi/providers"
import { Effect, Layer } from "effect"

// Whatever this machine is configured with: M2M credentials (an AWS Batch job), the saved
// `toshi login` of a person, or an API key. `CognitoConfig` adds ~/.toshi/auth_config.json
// under the environment.
export const TokenManagerLive: Layer.Layer<TokenManager.TokenManager | Detect.Detection, AuthError.AuthError> =
  TokenManager.layer().pipe(
    Layer.provideMerge(Detect.layer()),
    Layer.provide([RefreshPolicy.layer(RefreshPolicy.raise), RefreshHooks.layerNoop]),
    Layer.provide(CognitoConfig.layer()),
    Layer.provide(NodeAuth.layer())
  )

export const whoAmI: Effect.Effect<
  { readonly source: Detect.Source; readonly headers: Readonly<Record<string, string>> },
  AuthError.AuthError,
  TokenManager.TokenManager | Detect.Detection
> = Effect.gen(function*() {
  const detected = yield* Detect.Detection
  yield* Effect.log(`using ${detected.description}`)
  const manager = yield* TokenManager.TokenManager
  return { source: detected.source, headers: yield* manager.headers }
})
