/**
 * A static API key, sent in a header (`x-api-key` by default) instead of a bearer token.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { AuthError, AuthProvider, TokenSet } from "@toshi/core"
import * as Config from "effect/Config"
import * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Aws from "./internal/aws.js"
import * as Memo from "./internal/memo.js"
import * as Secrets from "./internal/secrets.js"

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

/** A provider over a key that `apiKey` reads, sent in `options.header`. */
const fromKey = (
  apiKey: Effect.Effect<Redacted.Redacted<string>, AuthError.AuthError>,
  options: { readonly header?: string | undefined; readonly key: string }
): AuthProvider.AuthProviderService => {
  const header = (options.header ?? "x-api-key").toLowerCase()
  return AuthProvider.make({
    key: options.key,
    acquire: Effect.gen(function*() {
      const value = yield* apiKey
      if (Redacted.value(value).trim() === "") {
        return yield* new AuthError.NoCredentialsError({
          reason: "NotConfigured",
          description: "the API key is empty: set it (e.g. NZSHM22_TOSHI_API_KEY) or log in instead"
        })
      }
      const now = yield* DateTime.now
      return TokenSet.make({
        accessToken: value,
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
 * @category constructors
 */
export const make = (options: Options): AuthProvider.AuthProviderService =>
  fromKey(Effect.succeed(options.apiKey), { header: options.header, key: options.key ?? "api-key" })

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

/**
 * An API key kept in a Secrets Manager secret as one key of a JSON object.
 *
 * @since 0.1.0
 * @category models
 */
export interface SecretOptions extends Aws.AwsOptions {
  /** The secret's name or ARN. */
  readonly secretId: string
  /** The key of the secret's JSON that holds the API key. */
  readonly jsonKey: string
  readonly region: string
  /** The header that carries the key. Default `x-api-key`. */
  readonly header?: string | undefined
  /** Names the identity in the token store. Default `api-key:<secret id>`. */
  readonly key?: string | undefined
  /** Per request. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The API key from a Secrets Manager secret, read once: later renewals reuse it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFromSecret = (options: SecretOptions): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<HttpClient.HttpClient>()
    const apiKey = yield* Memo.successOnce(
      Effect.gen(function*() {
        const json = yield* Secrets.readJson({ ...options, secretId: options.secretId, region: options.region, timeout: options.timeout })
        const keys = yield* Secrets.requireKeys(json, [options.jsonKey], { subject: "API key", source: `Secrets Manager secret ${options.secretId}` })
        return Redacted.make(keys[options.jsonKey]!)
      }).pipe(Effect.provide(context))
    )
    return fromKey(apiKey.get, { header: options.header, key: options.key ?? `api-key:${options.secretId}` })
  })

/**
 * The region of the API-key secrets of the Python tools.
 *
 * @since 0.1.0
 * @category constants
 */
export const batchSecretRegion = "us-east-1"

/**
 * The rule the Python tools follow inside AWS Batch: an API URL containing `TEST` reads the key
 * `NZSHM22_TOSHI_API_KEY_TEST` of the secret `NZSHM22_TOSHI_API_SECRET_TEST`, one containing `PROD`
 * the `_PROD` pair; any other URL has no secret.
 *
 * @since 0.1.0
 * @category constructors
 */
export const batchSecret = (apiUrl: string): Option.Option<{ readonly secretId: string; readonly jsonKey: string }> => {
  const upper = apiUrl.toUpperCase()
  const stage = upper.includes("TEST") ? "TEST" : upper.includes("PROD") ? "PROD" : undefined
  return stage === undefined
    ? Option.none()
    : Option.some({ secretId: `NZSHM22_TOSHI_API_SECRET_${stage}`, jsonKey: `NZSHM22_TOSHI_API_KEY_${stage}` })
}
