/**
 * AWS Cognito through the real AWS SDK, so the same code talks to AWS and, with an `endpoint`
 * override, to a local emulator. User pools: `userPassword` (USER_PASSWORD_AUTH) and
 * `customAuthOtp` (CUSTOM_AUTH with a one-time code sent by email), both renewed with
 * REFRESH_TOKEN_AUTH. Machines: `m2m`, the client credentials grant at the pool's domain with the
 * client id and secret read from AWS Secrets Manager.
 *
 * Every AWS request goes through the app's `HttpClient` (see `NodeHttp`), so a proxy and a custom
 * CA apply to AWS as to everything else.
 *
 * @since 0.1.0
 */
import type {
  CognitoIdentityProviderClient,
  InitiateAuthCommandOutput,
  RespondToAuthChallengeCommandOutput
} from "@aws-sdk/client-cognito-identity-provider"
import type * as HttpClient from "@effect/platform/HttpClient"
import { AuthError, AuthProvider, Jwt, TokenSet } from "@toshi/core"
import * as Config from "effect/Config"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as ClientAuth from "./ClientAuth.js"
import * as IdToken from "./IdToken.js"
import * as Aws from "./internal/aws.js"
import * as Callback from "./internal/callback.js"
import * as Http from "./internal/http.js"
import * as Memo from "./internal/memo.js"
import * as Secrets from "./internal/secrets.js"
import * as OAuth2 from "./OAuth2.js"

/**
 * What every user-pool login needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolOptions extends Aws.AwsOptions {
  readonly region: string
  readonly clientId: string
  /** For app clients with a secret: every request then carries its SECRET_HASH. */
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  /** Per request. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Names the identity in the token store. Default `cognito:<region>#<client id>#<username>`. */
  readonly key?: string | undefined
  /**
   * Validates every ID token Cognito returns (signature against the pool's JWKS, `iss`, `aud`,
   * `exp`); `idTokenValidation(pool)` gives it. A token that fails fails the login or renewal.
   */
  readonly idToken?: IdToken.Validation | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface UserPasswordOptions extends PoolOptions {
  readonly username: string
  readonly password: Redacted.Redacted<string>
}

/**
 * What the one-time-code callback is told.
 *
 * @since 0.1.0
 * @category models
 */
export interface OtpChallenge {
  readonly username: string
  /** Where Cognito says it sent the code, masked (e.g. `a***@example.org`), when it says. */
  readonly destination: string | undefined
  /** 1 for the first code asked for; more after a wrong answer. */
  readonly attempt: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CustomAuthOtpOptions extends PoolOptions {
  readonly username: string
  /** Asks for the code that was sent: answer plainly, with a Promise or with an Effect. */
  readonly otp: (challenge: OtpChallenge) => Callback.Answer<string | Redacted.Redacted<string>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface M2mOptions {
  /** The Secrets Manager secret holding `{"client_id": …, "client_secret": …}`; its region is the ARN's. */
  readonly secretArn: string
  /** The user pool's domain, e.g. `https://toshi.auth.ap-southeast-2.amazoncognito.com` (the scheme may be left out). */
  readonly domain: string
  /** Default `toshi/read toshi/write`. */
  readonly scope?: ReadonlyArray<string> | undefined
  /** Where Secrets Manager is, and with what credentials (default: the SDK's chain, e.g. the job's role). */
  readonly secretsManager?: Aws.AwsOptions | undefined
  /** Per request. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Names the identity in the token store. Default `cognito-m2m:<domain>#<secret ARN>`. */
  readonly key?: string | undefined
}

/**
 * The scopes an M2M client asks for unless told otherwise.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultM2mScope: ReadonlyArray<string> = ["toshi/read", "toshi/write"]

/**
 * Where a pool's ID tokens are checked: `https://cognito-idp.<region>.amazonaws.com/<pool id>`, or
 * `<endpoint>/<pool id>` for an emulator.
 *
 * @since 0.1.0
 * @category constructors
 */
export const idTokenValidation = (pool: {
  readonly region: string
  readonly userPoolId: string
  readonly endpoint?: string | undefined
}): IdToken.Validation => {
  const issuer = `${(pool.endpoint ?? `https://cognito-idp.${pool.region}.amazonaws.com`).replace(/\/+$/, "")}/${pool.userPoolId}`
  return { issuer, jwksUri: `${issuer}/.well-known/jwks.json` }
}

/** SECRET_HASH = Base64(HMAC-SHA256(client secret, username + client id)), as Cognito defines it. */
const secretHash = (secret: Redacted.Redacted<string>, username: string, clientId: string) =>
  Effect.promise(async () => {
    const encoder = new TextEncoder()
    const key = await crypto.subtle.importKey(
      "raw",
      encoder.encode(Redacted.value(secret)),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"]
    )
    return Encoding.encodeBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(username + clientId))))
  })

/** The user-pool SDK, loaded by the first request that needs it (see `Aws.loadSdk`). */
const cognitoSdk = Aws.loadSdk("@aws-sdk/client-cognito-identity-provider", () => import("@aws-sdk/client-cognito-identity-provider"))

type Sdk = Effect.Effect.Success<typeof cognitoSdk>

const loadSdk = (phase: Http.Phase) => Effect.mapError(cognitoSdk, (failure) => Http.toError(phase, failure))

/** What Cognito's exceptions mean, by name, and what to tell the person. */
const classify = (phase: Http.Phase, error: unknown): AuthError.LoginFailedError | AuthError.RefreshFailedError => {
  const { message, name, status } = Aws.describe(error)
  const fail = (reason: Parameters<typeof Http.toError>[1]["reason"], description: string) =>
    Http.toError(phase, { reason, description, cause: error })
  switch (name) {
    case "NotAuthorizedException":
    case "InvalidPasswordException":
      return fail(
        "InvalidGrant",
        phase === "login" ? "wrong username or password" : `Cognito refused the refresh token (${message})`
      )
    case "UserNotFoundException":
      return phase === "login"
        ? new AuthError.LoginFailedError({ reason: "UserNotFound", description: "no such user in this user pool: check the username (usually the email address)", cause: error })
        : fail("Rejected", "the user no longer exists in this user pool")
    case "PasswordResetRequiredException":
      return phase === "login"
        ? new AuthError.LoginFailedError({ reason: "PasswordResetRequired", description: "the password must be reset first: use 'forgot password' in the app, then log in again", cause: error })
        : fail("Rejected", "the password must be reset first, then log in again")
    case "UserNotConfirmedException":
      return fail("Rejected", "the account is not confirmed yet: confirm it with the code that was sent, then log in")
    case "ResourceNotFoundException":
    case "InvalidParameterException":
    case "InvalidUserPoolConfigurationException":
      return fail("InvalidConfig", `Cognito rejected the request: ${message} (check the client id, region and the client's allowed auth flows)`)
  }
  const retryable = Aws.transient("Cognito", error)
  if (retryable !== undefined) return fail(retryable.reason, retryable.description)
  return fail("InvalidResponse", `Cognito answered ${status} (${name}): ${message}`)
}

/** What a user-pool call answered, and when its request left. */
interface Answer<A> {
  readonly output: A
  readonly sentAt: DateTime.Utc
}

/** A user-pool client with the calls every flow makes, built once per provider. */
const pool = (options: PoolOptions & { readonly username: string }) =>
  Effect.map(Aws.clientConfig(options), (config) => {
    // Built by the first request: building the layer neither loads the SDK nor can fail.
    let connected: { readonly sdk: Sdk; readonly client: CognitoIdentityProviderClient } | undefined
    const connect = (phase: Http.Phase) =>
      connected !== undefined
        ? Effect.succeed(connected)
        : Effect.map(loadSdk(phase), (sdk) => (connected ??= { sdk, client: new sdk.CognitoIdentityProviderClient(config) }))
    const withHash = (parameters: Record<string, string>) =>
      options.clientSecret === undefined
        ? Effect.succeed(parameters)
        : Effect.map(secretHash(options.clientSecret, options.username, options.clientId), (SECRET_HASH) => ({ ...parameters, SECRET_HASH }))
    // Each answer carries when its request left: the tokens' lifetimes count from then (see
    // `Http.toTokenSet`), not from after the answer and the ID token's check.
    const send = <A>(
      phase: Http.Phase,
      call: (sdk: Sdk, client: CognitoIdentityProviderClient, signal: AbortSignal) => Promise<A>
    ): Effect.Effect<Answer<A>, AuthError.LoginFailedError | AuthError.RefreshFailedError> =>
      Effect.flatMap(connect(phase), ({ client, sdk }) =>
        Effect.flatMap(DateTime.now, (sentAt) =>
          Effect.map(
            Effect.tryPromise({ try: (signal) => call(sdk, client, signal), catch: (error) => classify(phase, error) }),
            (output) => ({ output, sentAt })
          )))

    const initiate = (phase: Http.Phase, flow: "USER_PASSWORD_AUTH" | "REFRESH_TOKEN_AUTH" | "CUSTOM_AUTH", parameters: Record<string, string>) =>
      Effect.flatMap(withHash(parameters), (AuthParameters) =>
        send(phase, (sdk, client, signal) =>
          client.send(
            new sdk.InitiateAuthCommand({ ClientId: options.clientId, AuthFlow: flow, AuthParameters }),
            { abortSignal: signal }
          )))

    const respond = (session: string | undefined, answer: string) =>
      Effect.flatMap(withHash({ USERNAME: options.username, ANSWER: answer }), (ChallengeResponses) =>
        send("login", (sdk, client, signal) =>
          client.send(
            new sdk.RespondToAuthChallengeCommand({
              ClientId: options.clientId,
              ChallengeName: "CUSTOM_CHALLENGE",
              ...(session === undefined ? {} : { Session: session }),
              ChallengeResponses
            }),
            { abortSignal: signal }
          )))

    const toTokens = (
      phase: Http.Phase,
      { output, sentAt }: Answer<InitiateAuthCommandOutput | RespondToAuthChallengeCommandOutput>,
      previous?: TokenSet.TokenSet
    ): Effect.Effect<TokenSet.TokenSet, AuthError.LoginFailedError | AuthError.RefreshFailedError, HttpClient.HttpClient> =>
      Effect.gen(function*() {
        if (output.ChallengeName !== undefined) {
          return yield* new AuthError.LoginFailedError({
            reason: output.ChallengeName === "NEW_PASSWORD_REQUIRED" ? "NewPasswordRequired" : "Unsupported",
            description: output.ChallengeName === "NEW_PASSWORD_REQUIRED"
              ? "Cognito asks for a new password (a first login with a temporary one): set it in the app or with the AWS CLI, then log in again"
              : `Cognito asks for the ${output.ChallengeName} challenge, which this login does not answer`
          })
        }
        const result = output.AuthenticationResult
        if (result?.AccessToken === undefined) {
          return yield* Http.toError(phase, { reason: "InvalidResponse", description: "Cognito answered without tokens (no AuthenticationResult)" })
        }
        if (result.IdToken !== undefined && options.idToken !== undefined) {
          yield* IdToken.validate(result.IdToken, { ...options.idToken, clientId: options.clientId, phase, timeout: options.timeout })
        }
        // Cognito sends ExpiresIn; emulators may not, and the token's own `exp` is as good.
        const expiresAt = result.ExpiresIn !== undefined
          ? DateTime.addDuration(sentAt, Duration.seconds(result.ExpiresIn))
          : Option.getOrElse(Jwt.unverifiedExpiry(result.AccessToken), () => DateTime.addDuration(sentAt, Duration.hours(1)))
        // REFRESH_TOKEN_AUTH answers without a refresh token: the one we have stays.
        const refreshToken = result.RefreshToken !== undefined ? Redacted.make(result.RefreshToken) : previous?.refreshToken
        return TokenSet.make({
          accessToken: Redacted.make(result.AccessToken),
          issuedAt: sentAt,
          expiresAt,
          ...(refreshToken === undefined ? {} : { refreshToken }),
          ...(result.IdToken === undefined ? {} : { idToken: Redacted.make(result.IdToken) })
        })
      })

    const refresh = (current: TokenSet.TokenSet) =>
      current.refreshToken === undefined
        ? Effect.fail(new AuthError.RefreshFailedError({ reason: "InvalidGrant", description: "the session has no refresh token" }))
        : Effect.flatMap(
          initiate("refresh", "REFRESH_TOKEN_AUTH", { REFRESH_TOKEN: Redacted.value(current.refreshToken) }),
          (answer) => toTokens("refresh", answer, current)
        )

    return { initiate, respond, toTokens, refresh }
  })

/** Effects that ran with the HttpClient the provider was built with need nothing more. */
const providerOf = (
  options: PoolOptions & { readonly username: string },
  build: (p: Effect.Effect.Success<ReturnType<typeof pool>>) => Effect.Effect<TokenSet.TokenSet, AuthError.AuthError, HttpClient.HttpClient>
) =>
  Effect.gen(function*() {
    const p = yield* pool(options)
    const context = yield* Effect.context<HttpClient.HttpClient>()
    return AuthProvider.make({
      key: options.key ?? `cognito:${options.region}#${options.clientId}#${options.username}`,
      acquire: Effect.provide(build(p), context),
      refresh: (current) => Effect.provide(p.refresh(current), context)
    })
  })

/**
 * USER_PASSWORD_AUTH, renewed with REFRESH_TOKEN_AUTH; a renewal that returns no new refresh token
 * keeps the old one. A challenge (`NEW_PASSWORD_REQUIRED`, MFA) is a typed error that says what to do.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeUserPassword = (
  options: UserPasswordOptions
): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  providerOf(options, (p) =>
    Effect.flatMap(
      p.initiate("login", "USER_PASSWORD_AUTH", { USERNAME: options.username, PASSWORD: Redacted.value(options.password) }),
      (answer) => p.toTokens("login", answer)
    ))

/**
 * @since 0.1.0
 * @category layers
 */
export const userPassword = (options: UserPasswordOptions): Layer.Layer<AuthProvider.AuthProvider, never, HttpClient.HttpClient> =>
  Layer.effect(AuthProvider.AuthProvider, makeUserPassword(options))

/**
 * A saved session (e.g. `~/.toshi/credentials` written by `toshi login`) renewed with
 * REFRESH_TOKEN_AUTH. It cannot log in by itself: without a session it fails with
 * `NoCredentialsError` saying how to log in.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSavedSession = (
  options: PoolOptions & { readonly username?: string | undefined; readonly loginHint?: string | undefined }
): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  providerOf({ ...options, username: options.username ?? "" }, () =>
    Effect.fail(
      new AuthError.NoCredentialsError({
        reason: "NotLoggedIn",
        description: `there is no usable saved login: ${options.loginHint ?? "log in again (e.g. `toshi login`)"}`
      })
    ))

/**
 * Revokes a refresh token (Cognito `RevokeToken`), ending the session it belongs to: the tokens it
 * issued stop being renewable.
 *
 * @since 0.1.0
 * @category constructors
 */
export const revoke = (
  options: Omit<PoolOptions, "key" | "idToken"> & { readonly refreshToken: Redacted.Redacted<string> }
): Effect.Effect<void, AuthError.LoginFailedError | AuthError.RefreshFailedError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { CognitoIdentityProviderClient, RevokeTokenCommand } = yield* loadSdk("refresh")
    const client = new CognitoIdentityProviderClient(yield* Aws.clientConfig(options))
    yield* Effect.tryPromise({
      try: (signal) =>
        client.send(
          new RevokeTokenCommand({
            Token: Redacted.value(options.refreshToken),
            ClientId: options.clientId,
            ...(options.clientSecret === undefined ? {} : { ClientSecret: Redacted.value(options.clientSecret) })
          }),
          { abortSignal: signal }
        ),
      catch: (error) => classify("refresh", error)
    }).pipe(Effect.ensuring(Effect.sync(() => client.destroy())))
  })

/** Cognito lets a custom challenge be answered this many times before it ends the session. */
const maxOtpAttempts = 3

/**
 * CUSTOM_AUTH with a one-time code (the email OTP of a "passwordless" pool): Cognito sends a code,
 * `otp` asks for it, a wrong code asks again (Cognito allows three answers), and the session is
 * renewed with REFRESH_TOKEN_AUTH.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeCustomAuthOtp = (
  options: CustomAuthOtpOptions
): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  providerOf(options, (p) =>
    Effect.gen(function*() {
      let answer: Answer<InitiateAuthCommandOutput | RespondToAuthChallengeCommandOutput> = yield* p.initiate(
        "login",
        "CUSTOM_AUTH",
        { USERNAME: options.username }
      )
      for (let attempt = 1; answer.output.ChallengeName === "CUSTOM_CHALLENGE"; attempt++) {
        if (attempt > maxOtpAttempts) break
        const given = yield* Callback.call(
          () => options.otp({ username: options.username, destination: destinationOf(answer.output), attempt }),
          (cause) => new AuthError.LoginFailedError({ reason: "ExternalFailed", description: "getting the one-time code failed", cause })
        )
        const code = (Redacted.isRedacted(given) ? Redacted.value(given) : given).trim()
        if (code === "") {
          return yield* new AuthError.LoginFailedError({ reason: "InvalidCredentials", description: "no one-time code was given" })
        }
        answer = yield* p.respond(answer.output.Session, code).pipe(
          Effect.mapError((error) =>
            error.reason === "InvalidCredentials"
              ? new AuthError.LoginFailedError({
                reason: "InvalidCredentials",
                description: "the one-time code was wrong too many times or has expired: log in again to get a new code",
                cause: error
              })
              : error
          )
        )
      }
      return yield* p.toTokens("login", answer)
    }))

const destinationOf = (output: { readonly ChallengeParameters?: Record<string, string> | undefined }) => {
  const parameters = output.ChallengeParameters ?? {}
  return parameters["email"] ?? parameters["CODE_DELIVERY_DESTINATION"] ?? parameters["destination"]
}

/**
 * @since 0.1.0
 * @category layers
 */
export const customAuthOtp = (options: CustomAuthOtpOptions): Layer.Layer<AuthProvider.AuthProvider, never, HttpClient.HttpClient> =>
  Layer.effect(AuthProvider.AuthProvider, makeCustomAuthOtp(options))

/** The client id and secret an M2M secret holds. */
interface M2mCredentials {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
}

const normalizeDomain = (domain: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(domain) ? domain : `https://${domain}`).replace(/\/+$/, "")

/**
 * Machine to machine: reads `{client_id, client_secret}` from the Secrets Manager secret once (the
 * region is the ARN's), then asks the pool's domain for tokens with the client credentials grant
 * and HTTP Basic authentication. Renewal asks again with the same credentials; if the domain says
 * the client is unknown or the secret wrong (the secret was rotated), the secret is read again once.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeM2m = (options: M2mOptions): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<HttpClient.HttpClient>()
    const domain = normalizeDomain(options.domain)
    const scope = options.scope ?? defaultM2mScope
    const source = `Secrets Manager secret ${options.secretArn}`

    const readCredentials = Effect.gen(function*() {
      const region = Aws.regionOfArn(options.secretArn)
      if (region === undefined) {
        return yield* new AuthError.LoginFailedError({
          reason: "InvalidConfig",
          description: `the M2M secret must be a Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), not ${JSON.stringify(options.secretArn)}`
        })
      }
      const json = yield* Secrets.readJson({ ...options.secretsManager, secretId: options.secretArn, region, timeout: options.timeout })
      const keys = yield* Secrets.requireKeys(json, ["client_id", "client_secret"], { subject: "Cognito", source })
      return { clientId: keys.client_id, clientSecret: Redacted.make(keys.client_secret) }
    })
    // Read once; a failed read is not remembered, so the next attempt reads again.
    const credentials = yield* Memo.successOnce(readCredentials)
    const grant = (creds: M2mCredentials) =>
      Effect.flatMap(
        OAuth2.makeClientCredentials({
          tokenEndpoint: `${domain}/oauth2/token`,
          client: ClientAuth.basic(creds.clientId, creds.clientSecret),
          scope,
          ...(options.timeout === undefined ? {} : { timeout: options.timeout })
        }),
        (provider) => provider.acquire
      )
    const acquire = Effect.gen(function*() {
      const first = yield* credentials.get
      return yield* grant(first).pipe(
        Effect.catchIf(
          (error) => error._tag === "LoginFailedError" && error.reason === "InvalidClient",
          (error) =>
            Effect.flatMap(credentials.reload, (fresh) =>
              fresh.clientId === first.clientId && Redacted.value(fresh.clientSecret) === Redacted.value(first.clientSecret)
                ? Effect.fail(error)
                : grant(fresh))
        )
      )
    })
    return AuthProvider.make({
      key: options.key ?? `cognito-m2m:${domain}#${options.secretArn}`,
      acquire: Effect.provide(acquire, context)
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const m2m = (options: M2mOptions): Layer.Layer<AuthProvider.AuthProvider, never, HttpClient.HttpClient> =>
  Layer.effect(AuthProvider.AuthProvider, makeM2m(options))

/**
 * The M2M settings from configuration: `NZSHM22_TOSHI_M2M_SECRET_ARN` and
 * `NZSHM22_TOSHI_COGNITO_DOMAIN`, through the app's `ConfigProvider` (the environment unless the
 * app says otherwise; `CognitoConfig.provider` adds `auth_config.json`). No ARN: no M2M. An ARN
 * without a domain is a `ConfigIncompleteError` naming it.
 *
 * @since 0.1.0
 * @category config
 */
export const m2mConfig: Effect.Effect<Option.Option<Pick<M2mOptions, "secretArn" | "domain">>, AuthError.ConfigIncompleteError> = Effect.gen(
  function*() {
    const read = (name: string) => Effect.orElseSucceed(Config.option(Config.nonEmptyString(name)), () => Option.none<string>())
    const secretArn = yield* read("NZSHM22_TOSHI_M2M_SECRET_ARN")
    if (Option.isNone(secretArn)) return Option.none()
    const domain = yield* read("NZSHM22_TOSHI_COGNITO_DOMAIN")
    if (Option.isSome(domain)) return Option.some({ secretArn: secretArn.value, domain: domain.value })
    return yield* new AuthError.ConfigIncompleteError({
      subject: "Cognito M2M",
      missing: ["NZSHM22_TOSHI_COGNITO_DOMAIN"],
      source: "environment (NZSHM22_TOSHI_M2M_SECRET_ARN is set)",
      reason: "MissingKeys"
    })
  }
)
