/**
 * OAuth 2.0 grants as providers, one constructor per grant (RFC 6749, RFC 8628), each with its
 * client authentication chosen explicitly. Responses are decoded with Schema; every failure is a
 * typed `LoginFailedError` (first grant) or `RefreshFailedError` (renewal) that carries the
 * server's `error` and `error_description` when it sent them.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { AuthError, AuthProvider, type TokenSet } from "@toshi/core"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { ClientAuth } from "./ClientAuth.js"
import * as IdToken from "./IdToken.js"
import * as Token from "./internal/http.js"

/**
 * What every grant needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommonOptions {
  readonly tokenEndpoint: string
  readonly client: ClientAuth
  /** Scopes to request. */
  readonly scope?: ReadonlyArray<string> | undefined
  /** RFC 8707 resource indicator: the API the token is for. */
  readonly resource?: string | undefined
  /** The `audience` parameter some servers use instead (Auth0, Okta). */
  readonly audience?: string | undefined
  /** More form parameters for the token request. */
  readonly extraParams?: Readonly<Record<string, string>> | undefined
  /** Per request. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Names the identity in the token store. Default `oauth2:<token endpoint>#<client id>`. */
  readonly key?: string | undefined
  /**
   * Validates every ID token the server returns (signature, `iss`, `aud`, `exp`); a token that fails
   * fails the grant. `Oidc.validation(metadata)` gives it from discovery.
   */
  readonly idToken?: IdToken.Validation | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ClientCredentialsOptions extends CommonOptions {}

/**
 * @since 0.1.0
 * @category models
 */
export interface PasswordOptions extends CommonOptions {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  /** A one-time code, asked for at each login (servers that take a `totp` parameter). */
  readonly totp?: (() => string | PromiseLike<string> | Effect.Effect<string, AuthError.AuthError>) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RefreshTokenOptions extends CommonOptions {
  /** A refresh token obtained elsewhere (another tool, an earlier login). */
  readonly refreshToken: Redacted.Redacted<string>
}

const defaultTimeout = "30 seconds"

const keyOf = (options: CommonOptions) => options.key ?? `oauth2:${options.tokenEndpoint}#${options.client.clientId}`

/** Requests a token and turns the answer into a token set. */
const grant = (
  options: CommonOptions,
  phase: Token.Phase,
  params: Readonly<Record<string, string | undefined>>
): Effect.Effect<TokenSet.TokenSet, AuthError.LoginFailedError | AuthError.RefreshFailedError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const scope = options.scope === undefined || options.scope.length === 0 ? undefined : options.scope.join(" ")
    const response = yield* Token.requestToken({
      endpoint: options.tokenEndpoint,
      auth: options.client,
      timeout: options.timeout ?? defaultTimeout,
      phase,
      params: { scope, resource: options.resource, audience: options.audience, ...options.extraParams, ...params }
    })
    if (response.id_token !== undefined && options.idToken !== undefined) {
      yield* IdToken.validate(response.id_token, {
        ...options.idToken,
        clientId: options.client.clientId,
        phase,
        timeout: options.timeout ?? defaultTimeout
      })
    }
    return Token.toTokenSet(response, { now: yield* DateTime.now, requestedScope: options.scope })
  })

/** The refresh-token grant (RFC 6749 §6), shared by every provider that gets a refresh token. */
const refreshWith = (options: CommonOptions) => (current: TokenSet.TokenSet) =>
  current.refreshToken === undefined
    ? Effect.fail(
      new AuthError.RefreshFailedError({ reason: "InvalidGrant", description: "the session has no refresh token" })
    )
    : grant({ ...options, scope: undefined }, "refresh", {
      grant_type: "refresh_token",
      refresh_token: Redacted.value(current.refreshToken)
    })

/** The layer of a provider constructor. */
const asLayer = <O>(make: (options: O) => Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient>) =>
(options: O): Layer.Layer<AuthProvider.AuthProvider, never, HttpClient.HttpClient> =>
  Layer.effect(AuthProvider.AuthProvider, make(options))

/** Captures the HttpClient so that the provider's effects need nothing more. */
const withClient = (
  build: (provide: <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>) => Effect.Effect<A, E>) => AuthProvider.AuthProviderService
): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (client) => build((effect) => Effect.provideService(effect, HttpClient.HttpClient, client)))

/**
 * The client credentials grant (RFC 6749 §4.4), for machines: renewal asks again. The service
 * itself, for apps that run several managers; `clientCredentials` is its layer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeClientCredentials = (
  options: ClientCredentialsOptions
): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  withClient((provide) =>
    AuthProvider.make({
      key: keyOf(options),
      acquire: provide(grant(options, "login", { grant_type: "client_credentials" }))
    })
  )

/**
 * The resource owner password grant (RFC 6749 §4.3), with an optional one-time code; renewed with
 * the refresh token it returns.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePassword = (
  options: PasswordOptions
): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  withClient((provide) =>
    AuthProvider.make({
      key: options.key ?? `${keyOf(options)}#${options.username}`,
      acquire: provide(Effect.gen(function*() {
        const totp = options.totp === undefined ? undefined : yield* callback(options.totp, "the one-time code")
        return yield* grant(options, "login", {
          grant_type: "password",
          username: options.username,
          password: Redacted.value(options.password),
          totp
        })
      })),
      refresh: (current) => provide(refreshWith(options)(current))
    })
  )

/**
 * A session from a refresh token obtained elsewhere.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRefreshToken = (
  options: RefreshTokenOptions
): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  withClient((provide) =>
    AuthProvider.make({
      key: keyOf(options),
      acquire: provide(grant(options, "login", {
        grant_type: "refresh_token",
        refresh_token: Redacted.value(options.refreshToken)
      })),
      refresh: (current) => provide(refreshWith(options)(current))
    })
  )

/**
 * What a person must do to approve a device login (RFC 8628 §3.3).
 *
 * @since 0.1.0
 * @category models
 */
export interface DeviceCodePrompt {
  readonly userCode: string
  readonly verificationUri: string
  /** The URI with the code filled in, when the server gives one (for a QR code or a click). */
  readonly verificationUriComplete?: string | undefined
  readonly expiresIn: Duration.Duration
}

/**
 * @since 0.1.0
 * @category models
 */
export interface DeviceCodeOptions extends CommonOptions {
  readonly deviceAuthorizationEndpoint: string
  /** Shows the code and the link to the person (a terminal line, a notification). */
  readonly onPrompt: (prompt: DeviceCodePrompt) => void | Effect.Effect<void>
}

const DeviceAuthorization = Schema.Struct({
  device_code: Schema.String,
  user_code: Schema.String,
  verification_uri: Schema.String,
  verification_uri_complete: Schema.optional(Schema.String),
  expires_in: Schema.Number,
  interval: Schema.optional(Schema.Number)
})

/**
 * The device authorization grant (RFC 8628), for devices and terminals without a browser: shows a
 * code and a link, then polls at the server's interval (5 seconds more after each `slow_down`)
 * until the person approves (`access_denied` and `expired_token` are typed errors). Renewed with
 * the refresh token.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDeviceCode = (
  options: DeviceCodeOptions
): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  withClient((provide) =>
    AuthProvider.make({
      key: keyOf(options),
      acquire: provide(Effect.gen(function*() {
        const scope = options.scope === undefined || options.scope.length === 0 ? undefined : options.scope.join(" ")
        const authorization = yield* Token.postForm({
          what: "device authorization endpoint",
          endpoint: options.deviceAuthorizationEndpoint,
          auth: options.client,
          timeout: options.timeout ?? defaultTimeout,
          phase: "login",
          params: { scope, resource: options.resource, audience: options.audience, ...options.extraParams }
        }, DeviceAuthorization, "a device authorization response")
        const shown = options.onPrompt({
          userCode: authorization.user_code,
          verificationUri: authorization.verification_uri,
          verificationUriComplete: authorization.verification_uri_complete,
          expiresIn: Duration.seconds(authorization.expires_in)
        })
        if (Effect.isEffect(shown)) yield* shown
        const deadline = (yield* Clock.currentTimeMillis) + authorization.expires_in * 1000
        let interval = Duration.seconds(authorization.interval ?? 5)
        while (true) {
          yield* Effect.sleep(interval)
          if ((yield* Clock.currentTimeMillis) >= deadline) {
            return yield* new AuthError.LoginFailedError({
              reason: "Expired",
              description: "the device code expired before it was approved: log in again"
            })
          }
          const polled = yield* Effect.either(grant(options, "login", {
            grant_type: "urn:ietf:params:oauth:grant-type:device_code",
            device_code: authorization.device_code
          }))
          if (polled._tag === "Right") return polled.right
          const code = polled.left.oauth?.error
          // A network blip while waiting for a person is no reason to start over with a new code.
          if (code === "authorization_pending" || AuthError.isTransient(polled.left)) continue
          if (code === "slow_down") {
            interval = Duration.sum(interval, Duration.seconds(5))
            continue
          }
          return yield* polled.left
        }
      })),
      refresh: (current) => provide(refreshWith(options)(current))
    })
  )

/**
 * @since 0.1.0
 * @category layers
 */
export const deviceCode: (options: DeviceCodeOptions) => Layer.Layer<AuthProvider.AuthProvider, never, HttpClient.HttpClient> =
  asLayer(makeDeviceCode)

/**
 * @since 0.1.0
 * @category layers
 */
export const clientCredentials: (
  options: ClientCredentialsOptions
) => Layer.Layer<AuthProvider.AuthProvider, never, HttpClient.HttpClient> = asLayer(makeClientCredentials)

/**
 * @since 0.1.0
 * @category layers
 */
export const password: (options: PasswordOptions) => Layer.Layer<AuthProvider.AuthProvider, never, HttpClient.HttpClient> =
  asLayer(makePassword)

/**
 * @since 0.1.0
 * @category layers
 */
export const refreshToken: (
  options: RefreshTokenOptions
) => Layer.Layer<AuthProvider.AuthProvider, never, HttpClient.HttpClient> = asLayer(makeRefreshToken)

/** Calls a user callback that may answer plainly, with a Promise or with an Effect. */
const callback = (
  f: () => string | PromiseLike<string> | Effect.Effect<string, AuthError.AuthError>,
  what: string
): Effect.Effect<string, AuthError.AuthError> =>
  Effect.suspend(() => {
    const failed = (cause: unknown) =>
      new AuthError.LoginFailedError({ reason: "ExternalFailed", description: `getting ${what} failed`, cause })
    let value: ReturnType<typeof f>
    try {
      value = f()
    } catch (cause) {
      return Effect.fail(failed(cause))
    }
    if (Effect.isEffect(value)) return value
    if (typeof value === "string") return Effect.succeed(value)
    const promise = value
    return Effect.tryPromise({ try: () => Promise.resolve(promise), catch: failed })
  })
