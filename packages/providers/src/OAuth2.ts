/**
 * OAuth 2.0 grants as providers, one constructor per grant (RFC 6749, RFC 8628), each with its
 * client authentication chosen explicitly. Responses are decoded with Schema; every failure is a
 * typed `LoginFailedError` (first grant) or `RefreshFailedError` (renewal) that carries the
 * server's `error` and `error_description` when it sent them.
 *
 * Every grant finds its server either through an `issuer` (OpenID Connect discovery, fetched once
 * per process, when the first request needs it) or through its endpoints given outright.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { AuthError, AuthProvider, TokenSet } from "@toshi/core"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Browser from "./Browser.js"
import type { ClientAuth } from "./ClientAuth.js"
import * as IdToken from "./IdToken.js"
import * as Oidc from "./Oidc.js"
import * as RedirectReceiver from "./RedirectReceiver.js"
import * as Callback from "./internal/callback.js"
import * as Token from "./internal/http.js"

/**
 * Where a grant finds its server: an issuer, whose discovery document names the endpoints, or the
 * token endpoint itself. Exactly one of the two.
 *
 * @since 0.1.0
 * @category models
 */
export type Endpoint =
  | { readonly issuer: string; readonly tokenEndpoint?: undefined }
  | { readonly tokenEndpoint: string; readonly issuer?: undefined }

/**
 * What every grant needs besides its server.
 *
 * @since 0.1.0
 * @category models
 */
export interface GrantOptions {
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
  /** Names the identity in the token store. Default `oauth2:<issuer or token endpoint>#<client id>`. */
  readonly key?: string | undefined
  /**
   * Validates every ID token the server returns (signature, `iss`, `aud`, `exp`); a token that fails
   * fails the grant. `Oidc.validation(metadata)` gives it from discovery; with an `issuer`, that is
   * the default.
   */
  readonly idToken?: IdToken.Validation | undefined
}

/**
 * What every grant needs.
 *
 * @since 0.1.0
 * @category models
 */
export type CommonOptions = Endpoint & GrantOptions

/**
 * @since 0.1.0
 * @category models
 */
export type ClientCredentialsOptions = CommonOptions

/**
 * @since 0.1.0
 * @category models
 */
export type PasswordOptions = CommonOptions & {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  /** A one-time code, asked for at each login (servers that take a `totp` parameter). */
  readonly totp?: (() => string | PromiseLike<string> | Effect.Effect<string, AuthError.AuthError>) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type RefreshTokenOptions = CommonOptions & {
  /** A refresh token obtained elsewhere (another tool, an earlier login). */
  readonly refreshToken: Redacted.Redacted<string>
}

const defaultTimeout = "30 seconds"

const keyOf = (options: CommonOptions) =>
  options.key ?? `oauth2:${options.issuer ?? options.tokenEndpoint}#${options.client.clientId}`

type GrantError = AuthError.LoginFailedError | AuthError.RefreshFailedError

/** An issuer's metadata, discovered once per process; while renewing, a failure is a renewal's error. */
const discover = (issuer: string, phase: Token.Phase, options: GrantOptions): Effect.Effect<Oidc.Metadata, GrantError, HttpClient.HttpClient> => {
  const discovered = Oidc.discover(issuer, { timeout: options.timeout ?? defaultTimeout })
  return phase === "login" ? discovered : Effect.mapError(discovered, (error) => AuthError.renewalError(error) as GrantError)
}

/** The names of the endpoints discovery may give, as the document spells them and as people say them. */
const endpointNames = {
  authorization_endpoint: "authorization endpoint",
  device_authorization_endpoint: "device authorization endpoint",
  revocation_endpoint: "revocation endpoint"
} as const

/**
 * An endpoint the discovery document must name: without it, the issuer does not offer what was
 * asked, and the error names the missing field.
 */
const discovered = (
  metadata: Oidc.Metadata,
  field: keyof typeof endpointNames,
  phase: Token.Phase,
  instead: string
): Effect.Effect<string, GrantError> => {
  const url = metadata[field]
  return url !== undefined
    ? Effect.succeed(url)
    : Effect.fail(Token.toError(phase, {
      reason: "InvalidConfig",
      description: `the discovery document of ${metadata.issuer} has no ${field} (the ${
        endpointNames[field]
      }): this issuer does not offer it; give ${instead} instead of the issuer, or use another flow`
    }))
}

/** The token endpoint and ID token checks a grant uses, once its server is known. */
interface Server {
  readonly tokenEndpoint: string
  readonly idToken: IdToken.Validation | undefined
  readonly metadata: Oidc.Metadata | undefined
}

const serverOf = (options: CommonOptions, phase: Token.Phase): Effect.Effect<Server, GrantError, HttpClient.HttpClient> =>
  options.issuer === undefined
    ? Effect.succeed({ tokenEndpoint: options.tokenEndpoint, idToken: options.idToken, metadata: undefined })
    : Effect.map(discover(options.issuer, phase, options), (metadata) => ({
      tokenEndpoint: metadata.token_endpoint,
      idToken: options.idToken ?? Oidc.validation(metadata),
      metadata
    }))

/** What every request of a grant carries: scope, resource indicator, audience, extra parameters. */
const requestParams = (options: CommonOptions): Record<string, string | undefined> => ({
  scope: options.scope === undefined || options.scope.length === 0 ? undefined : options.scope.join(" "),
  resource: options.resource,
  audience: options.audience,
  ...options.extraParams
})

/** Requests a token and turns the answer into a token set. */
const grant = (
  options: CommonOptions,
  phase: Token.Phase,
  params: Readonly<Record<string, string | undefined>>,
  nonce?: string,
  previousScope?: ReadonlyArray<string>
): Effect.Effect<TokenSet.TokenSet, GrantError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const server = yield* serverOf(options, phase)
    const sentAt = yield* DateTime.now
    const response = yield* Token.requestToken({
      endpoint: server.tokenEndpoint,
      auth: options.client,
      timeout: options.timeout ?? defaultTimeout,
      phase,
      params: { ...requestParams(options), ...params }
    })
    if (response.id_token !== undefined && server.idToken !== undefined) {
      yield* IdToken.validate(response.id_token, {
        ...server.idToken,
        clientId: options.client.clientId,
        nonce,
        phase,
        timeout: options.timeout ?? defaultTimeout
      })
    }
    return Token.toTokenSet(response, { sentAt, requestedScope: options.scope ?? previousScope })
  })

/** The refresh-token grant (RFC 6749 §6), shared by every provider that gets a refresh token. */
const refreshWith = (options: CommonOptions) => (current: TokenSet.TokenSet) =>
  current.refreshToken === undefined
    ? Effect.fail(
      new AuthError.RefreshFailedError({ reason: "InvalidGrant", description: "the session has no refresh token" })
    )
    // RFC 6749 §6: without a `scope` in the answer, the renewed token has the scope it had.
    : grant({ ...options, scope: undefined }, "refresh", {
      grant_type: "refresh_token",
      refresh_token: Redacted.value(current.refreshToken)
    }, undefined, current.scope)

/** The layer of a provider constructor. */
const asLayer = <O>(make: (options: O) => Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient>) =>
(options: O): Layer.Layer<AuthProvider.AuthProvider, never, HttpClient.HttpClient> =>
  Layer.effect(AuthProvider.AuthProvider, make(options))

/**
 * A grant as a provider: its effects run with the HttpClient it was built with, so they need
 * nothing more; a renewable one renews with the refresh-token grant.
 */
const provider = (
  options: CommonOptions,
  acquire: Effect.Effect<TokenSet.TokenSet, AuthError.AuthError, HttpClient.HttpClient>,
  how: { readonly renewable: boolean; readonly key?: string | undefined }
): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (client) => {
    const provide = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>) =>
      Effect.provideService(effect, HttpClient.HttpClient, client)
    return AuthProvider.make({
      key: how.key ?? keyOf(options),
      acquire: provide(acquire),
      refresh: how.renewable ? (current) => provide(refreshWith(options)(current)) : undefined
    })
  })

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
  provider(options, grant(options, "login", { grant_type: "client_credentials" }), { renewable: false })

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
  provider(
    options,
    Effect.gen(function*() {
      const totp = options.totp === undefined ? undefined : yield* callback(options.totp, "the one-time code")
      return yield* grant(options, "login", {
        grant_type: "password",
        username: options.username,
        password: Redacted.value(options.password),
        totp
      })
    }),
    { renewable: true, key: options.key ?? `${keyOf(options)}#${options.username}` }
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
  provider(
    options,
    grant(options, "login", { grant_type: "refresh_token", refresh_token: Redacted.value(options.refreshToken) }),
    { renewable: true }
  )

/**
 * @since 0.1.0
 * @category models
 */
export type SavedSessionOptions = CommonOptions & {
  /** Names the saved session in the store (e.g. a CLI profile). */
  readonly key: string
  /** Why there is nothing to renew and what to do, e.g. "not logged in: run `my-tool login`". */
  readonly notLoggedIn?: string | undefined
}

/**
 * A session saved by an earlier login (another process, another tool), renewed with its refresh
 * token. It cannot log in by itself: with nothing saved, `acquire` is a `NoCredentialsError` that
 * says how to log in. A renewal without a new refresh token keeps the old one (no rotation), and
 * one without a `scope` keeps the old scope (RFC 6749 §6).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSavedSession = (
  options: SavedSessionOptions
): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  Effect.map(
    provider(
      options,
      Effect.fail(
        new AuthError.NoCredentialsError({ reason: "NotLoggedIn", description: options.notLoggedIn ?? "no saved session: log in first" })
      ),
      { renewable: true, key: options.key }
    ),
    (service) =>
      AuthProvider.make({
        ...service,
        refresh: (current) =>
          Effect.map(service.refresh!(current), (renewed) =>
            renewed.refreshToken !== undefined || current.refreshToken === undefined
              ? renewed
              : TokenSet.make({
                ...renewed,
                refreshToken: current.refreshToken,
                ...(current.refreshExpiresAt === undefined ? {} : { refreshExpiresAt: current.refreshExpiresAt })
              }))
      })
  )

/**
 * @since 0.1.0
 * @category layers
 */
export const savedSession: (
  options: SavedSessionOptions
) => Layer.Layer<AuthProvider.AuthProvider, never, HttpClient.HttpClient> = asLayer(makeSavedSession)

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
export type DeviceCodeOptions =
  & GrantOptions
  & (
    | { readonly issuer: string; readonly tokenEndpoint?: undefined; readonly deviceAuthorizationEndpoint?: undefined }
    | { readonly tokenEndpoint: string; readonly deviceAuthorizationEndpoint: string; readonly issuer?: undefined }
  )
  & {
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
  provider(
    options,
    Effect.gen(function*() {
      const endpoint = options.issuer === undefined
        ? options.deviceAuthorizationEndpoint
        : yield* discovered(
          yield* discover(options.issuer, "login", options),
          "device_authorization_endpoint",
          "login",
          "tokenEndpoint and deviceAuthorizationEndpoint"
        )
      const authorization = yield* Token.postForm({
        what: "device authorization endpoint",
        endpoint,
        auth: options.client,
        timeout: options.timeout ?? defaultTimeout,
        phase: "login",
        params: requestParams(options)
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
    }),
    { renewable: true }
  )

/**
 * @since 0.1.0
 * @category models
 */
export type AuthorizationCodeOptions =
  & GrantOptions
  & (
    | {
      readonly issuer: string
      readonly tokenEndpoint?: undefined
      readonly authorizationEndpoint?: undefined
      /** Used instead when no browser can be opened (SSH, CI, a container). Without it, that is an error. */
      readonly deviceFallback?: { readonly onPrompt: DeviceCodeOptions["onPrompt"]; readonly deviceAuthorizationEndpoint?: undefined } | undefined
    }
    | {
      readonly tokenEndpoint: string
      readonly authorizationEndpoint: string
      readonly issuer?: undefined
      /** Used instead when no browser can be opened (SSH, CI, a container). Without it, that is an error. */
      readonly deviceFallback?: { readonly onPrompt: DeviceCodeOptions["onPrompt"]; readonly deviceAuthorizationEndpoint: string } | undefined
    }
  )
  & AuthorizationCodeSettings

/**
 * How the browser login runs, whatever the server.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationCodeSettings {
  /** The loopback port to try first (some servers need the exact redirect URI registered). Default: any. */
  readonly port?: number | undefined
  /** The loopback callback path. Default `/callback`. */
  readonly callbackPath?: string | undefined
  /** How long to wait for the person to finish in the browser. Default 5 minutes. */
  readonly loginTimeout?: Duration.DurationInput | undefined
  /** More parameters for the authorization request (`prompt`, `login_hint`, …). */
  readonly authorizationParams?: Readonly<Record<string, string>> | undefined
  /** Called with the URL before the browser opens: show it, in case the browser does not come up. */
  readonly onOpen?: ((url: string) => void | Effect.Effect<void>) | undefined
}

/** 32 random bytes, base64url: for `state`, `nonce` and the PKCE verifier (RFC 7636 §4.1). */
const randomToken = () => Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))

const s256 = (verifier: string) =>
  Effect.map(
    Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
    (digest) => Encoding.encodeBase64Url(new Uint8Array(digest))
  )

/**
 * The authorization code grant with PKCE S256 (RFC 6749 §4.1, RFC 7636, RFC 8252) for people at a
 * machine with a browser: a loopback receiver on 127.0.0.1 is bound first, the browser opens the
 * authorization URL, `state` (and `nonce`, for OpenID scopes) are checked on return, and the code
 * is exchanged with its verifier. With no browser it falls back to the device flow when one is
 * configured. Renewed with the refresh token.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeAuthorizationCode = (
  options: AuthorizationCodeOptions
): Effect.Effect<
  AuthProvider.AuthProviderService,
  never,
  HttpClient.HttpClient | RedirectReceiver.RedirectReceiver | Browser.Browser
> =>
  Effect.gen(function*() {
    const receiver = yield* RedirectReceiver.RedirectReceiver
    const browser = yield* Browser.Browser
    const device = options.deviceFallback === undefined
      ? undefined
      : yield* makeDeviceCode(
        options.issuer === undefined
          ? { ...options, deviceAuthorizationEndpoint: options.deviceFallback!.deviceAuthorizationEndpoint, onPrompt: options.deviceFallback!.onPrompt }
          : { ...options, onPrompt: options.deviceFallback.onPrompt }
      )
    const noBrowser = (description: string) =>
      device !== undefined
        ? device.acquire
        : Effect.fail(new AuthError.LoginFailedError({
          reason: "Unsupported",
          description: `${description}: log in where a browser can open, or use the device flow`
        }))
    const viaBrowser = Effect.scoped(Effect.gen(function*() {
      const listening = yield* receiver.listen({ port: options.port, path: options.callbackPath })
      const state = randomToken()
      const verifier = randomToken()
      const nonce = options.scope?.includes("openid") === true ? randomToken() : undefined
      const endpoint = options.issuer === undefined
        ? options.authorizationEndpoint
        : yield* discovered(
          yield* discover(options.issuer, "login", options),
          "authorization_endpoint",
          "login",
          "tokenEndpoint and authorizationEndpoint"
        )
      const url = yield* Token.checkEndpoint("login", "authorization endpoint", endpoint)
      const query: Record<string, string | undefined> = {
        response_type: "code",
        client_id: options.client.clientId,
        redirect_uri: listening.redirectUri,
        scope: options.scope?.join(" "),
        state,
        nonce,
        code_challenge: yield* s256(verifier),
        code_challenge_method: "S256",
        resource: options.resource,
        audience: options.audience,
        ...options.authorizationParams
      }
      for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value)
      if (options.onOpen !== undefined) {
        const shown = options.onOpen(url.href)
        if (Effect.isEffect(shown)) yield* shown
      }
      if (!(yield* browser.open(url.href))) return yield* noBrowser("the browser could not be opened")
      const wait = Duration.decode(options.loginTimeout ?? Duration.minutes(5))
      const params = yield* listening.callback.pipe(
        Effect.timeoutFail({
          duration: wait,
          onTimeout: () =>
            new AuthError.LoginFailedError({
              reason: "Expired",
              description: `nobody finished signing in within ${Duration.format(wait)}: log in again`
            })
        })
      )
      if (params.get("state") !== state) {
        return yield* new AuthError.LoginFailedError({
          reason: "InvalidResponse",
          description: "the browser came back with another login's state (a stale tab, or a forged request): log in again"
        })
      }
      const error = params.get("error")
      if (error !== null) {
        const errorDescription = params.get("error_description") ?? undefined
        return yield* new AuthError.LoginFailedError({
          reason: error === "access_denied" ? "AccessDenied" : "InvalidConfig",
          description: `${error}${errorDescription === undefined ? "" : `: ${errorDescription}`}`,
          oauth: { status: 302, error, errorDescription }
        })
      }
      const code = params.get("code")
      if (code === null || code === "") {
        return yield* new AuthError.LoginFailedError({ reason: "InvalidResponse", description: "the browser came back without a code" })
      }
      return yield* grant(options, "login", {
        grant_type: "authorization_code",
        code,
        redirect_uri: listening.redirectUri,
        code_verifier: verifier
      }, nonce)
    }))
    return yield* provider(
      options,
      Effect.flatMap(browser.available, (available) => available ? viaBrowser : noBrowser("no browser can be opened here")),
      { renewable: true }
    )
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const authorizationCode = (
  options: AuthorizationCodeOptions
): Layer.Layer<
  AuthProvider.AuthProvider,
  never,
  HttpClient.HttpClient | RedirectReceiver.RedirectReceiver | Browser.Browser
> => Layer.effect(AuthProvider.AuthProvider, makeAuthorizationCode(options))

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

/** The one-time code from the user's callback; a throw or rejection is a typed login failure. */
const callback = (f: () => Callback.Answer<string>, what: string): Effect.Effect<string, AuthError.AuthError> =>
  Callback.call(f, (cause) => new AuthError.LoginFailedError({ reason: "ExternalFailed", description: `getting ${what} failed`, cause }))

/**
 * Revokes a token (RFC 7009), e.g. the refresh token at logout. Success includes a token the
 * server no longer knows: RFC 7009 §2.2 answers 200 for those too.
 *
 * @since 0.1.0
 * @category constructors
 */
export const revoke = (options: (
  | { readonly revocationEndpoint: string; readonly issuer?: undefined }
  | { readonly issuer: string; readonly revocationEndpoint?: undefined }
) & {
  readonly client: ClientAuth
  readonly token: Redacted.Redacted<string>
  readonly tokenTypeHint?: "refresh_token" | "access_token" | undefined
  readonly timeout?: Duration.DurationInput | undefined
}): Effect.Effect<void, GrantError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const endpoint = options.issuer === undefined
      ? options.revocationEndpoint
      : yield* discovered(yield* discover(options.issuer, "refresh", options), "revocation_endpoint", "refresh", "revocationEndpoint")
    yield* Token.postForm({
      what: "revocation endpoint",
      endpoint,
      auth: options.client,
      timeout: options.timeout ?? defaultTimeout,
      phase: "refresh",
      params: { token: Redacted.value(options.token), token_type_hint: options.tokenTypeHint }
    }, Schema.Unknown, "a revocation response", { emptyBody: undefined })
  })
