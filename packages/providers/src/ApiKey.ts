/**
 * A static API key, sent in a header (`x-api-key` by default) instead of a bearer token.
 *
 * @since 0.1.0
 */
import { AuthError, AuthProvider, TokenSet } from "@toshi/core"
import * as DateTime from "effect/DateTime"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** The header that carries the key. Default `x-api-key`. */
  readonly header?: string | undefined
  /** Names the identity in the token store. Default `api-key`. */
  readonly key?: string | undefined
}

/** API keys do not expire on their own; renewal is only ever a re-read of the same key. */
const keyLifetime = "3650 days"

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): AuthProvider.AuthProviderService => {
  const header = (options.header ?? "x-api-key").toLowerCase()
  return AuthProvider.make({
    key: options.key ?? "api-key",
    acquire: Effect.gen(function*() {
      if (Redacted.value(options.apiKey).trim() === "") {
        return yield* new AuthError.NoCredentialsError({
          reason: "NotConfigured",
          description: "the API key is empty: set it (e.g. NZSHM22_TOSHI_API_KEY) or log in instead"
        })
      }
      const now = yield* DateTime.now
      return TokenSet.make({
        accessToken: options.apiKey,
        tokenType: "ApiKey",
        issuedAt: now,
        expiresAt: DateTime.addDuration(now, keyLifetime)
      })
    }),
    headers: (tokens) => ({ [header]: Redacted.value(tokens.accessToken) })
  })
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<AuthProvider.AuthProvider> => AuthProvider.layer(make(options))

/**
 * The legacy toshi API key from configuration: `NZSHM22_TOSHI_API_KEY` by default, read as a
 * redacted value through the app's `ConfigProvider` (the environment, unless the app says otherwise).
 * A missing key is a `ConfigIncompleteError` naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Omit<Options, "apiKey"> & { readonly name?: string | undefined } = {}
): Layer.Layer<AuthProvider.AuthProvider, AuthError.ConfigIncompleteError> => {
  const name = options.name ?? "NZSHM22_TOSHI_API_KEY"
  return Layer.effect(
    AuthProvider.AuthProvider,
    Config.redacted(name).pipe(
      Effect.mapError(() =>
        new AuthError.ConfigIncompleteError({ subject: "API key", missing: [name], source: "configuration", reason: "MissingKeys" })
      ),
      Effect.map((apiKey) => make({ ...options, apiKey }))
    )
  )
}
