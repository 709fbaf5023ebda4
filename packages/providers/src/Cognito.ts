/**
 * AWS Cognito user pools through the real AWS SDK (`InitiateAuth`), so the same code talks to AWS
 * and, with an `endpoint` override, to a local emulator.
 *
 * @since 0.1.0
 */
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  type InitiateAuthCommandOutput
} from "@aws-sdk/client-cognito-identity-provider"
import { AuthError, AuthProvider, Jwt, TokenSet } from "@toshi/core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Http from "./internal/http.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface UserPasswordOptions {
  readonly region: string
  readonly clientId: string
  /** For app clients with a secret: every request then carries its SECRET_HASH. */
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  readonly username: string
  readonly password: Redacted.Redacted<string>
  /** Another endpoint than AWS's (a local emulator). */
  readonly endpoint?: string | undefined
  /** Per request. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Names the identity in the token store. Default `cognito:<region>#<client id>#<username>`. */
  readonly key?: string | undefined
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

/** What Cognito's exceptions mean, by name, and what to tell the person. */
const classify = (phase: Http.Phase, error: unknown): AuthError.LoginFailedError | AuthError.RefreshFailedError => {
  const name = typeof error === "object" && error !== null && "name" in error ? String(error.name) : ""
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode
  const message = error instanceof Error ? error.message : String(error)
  const fail = (reason: AuthError.LoginFailedError["reason"], refreshReason: AuthError.RefreshFailedError["reason"], description: string) =>
    phase === "login"
      ? new AuthError.LoginFailedError({ reason, description, cause: error })
      : new AuthError.RefreshFailedError({ reason: refreshReason, description, cause: error })
  switch (name) {
    case "NotAuthorizedException":
    case "InvalidPasswordException":
      return fail(
        "InvalidCredentials",
        "InvalidGrant",
        phase === "login" ? "wrong username or password" : `Cognito refused the refresh token (${message})`
      )
    case "UserNotFoundException":
      return fail("UserNotFound", "Rejected", "no such user in this user pool: check the username (usually the email address)")
    case "PasswordResetRequiredException":
      return fail("PasswordResetRequired", "Rejected", "the password must be reset first: use 'forgot password' in the app, then log in again")
    case "UserNotConfirmedException":
      return fail("AccessDenied", "Rejected", "the account is not confirmed yet: confirm it with the code that was sent, then log in")
    case "TooManyRequestsException":
    case "ThrottlingException":
    case "LimitExceededException":
      return fail("RateLimited", "RateLimited", `Cognito is throttling requests (${name})`)
    case "ResourceNotFoundException":
    case "InvalidParameterException":
    case "InvalidUserPoolConfigurationException":
      return fail("InvalidConfig", "InvalidConfig", `Cognito rejected the request: ${message} (check the client id, region and the client's allowed auth flows)`)
    case "TimeoutError":
      return fail("Timeout", "Timeout", "Cognito did not answer in time")
  }
  if (status !== undefined && status >= 500) return fail("ServerError", "ServerError", `Cognito answered ${status} (${name})`)
  if (status === undefined) return fail("Transport", "Transport", `could not reach Cognito: ${message}`)
  return fail("InvalidResponse", "Rejected", `Cognito answered ${status} (${name}): ${message}`)
}

/**
 * USER_PASSWORD_AUTH, renewed with REFRESH_TOKEN_AUTH; a renewal that returns no new refresh token
 * keeps the old one. A challenge (`NEW_PASSWORD_REQUIRED`, MFA) is a typed error that says what to do.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeUserPassword = (options: UserPasswordOptions): Effect.Effect<AuthProvider.AuthProviderService> =>
  Effect.sync(() => {
    const client = new CognitoIdentityProviderClient({
      region: options.region,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint })
    })
    const timeout = options.timeout ?? "30 seconds"
    const initiate = (phase: Http.Phase, flow: "USER_PASSWORD_AUTH" | "REFRESH_TOKEN_AUTH", parameters: Record<string, string>) =>
      Effect.gen(function*() {
        const hash = options.clientSecret === undefined
          ? {}
          : { SECRET_HASH: yield* secretHash(options.clientSecret, options.username, options.clientId) }
        return yield* Effect.tryPromise({
          try: (signal) =>
            client.send(
              new InitiateAuthCommand({ ClientId: options.clientId, AuthFlow: flow, AuthParameters: { ...parameters, ...hash } }),
              { abortSignal: signal }
            ),
          catch: (error) => classify(phase, error)
        }).pipe(
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () => classify(phase, Object.assign(new Error("timed out"), { name: "TimeoutError" }))
          })
        )
      })
    const toTokens = (phase: Http.Phase, output: InitiateAuthCommandOutput) =>
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
          return yield* classify(phase, Object.assign(new Error("no AuthenticationResult"), { name: "InvalidResponse", $metadata: { httpStatusCode: 200 } }))
        }
        const now = yield* DateTime.now
        // Cognito sends ExpiresIn; emulators may not, and the token's own `exp` is as good.
        const expiresAt = result.ExpiresIn !== undefined
          ? DateTime.addDuration(now, Duration.seconds(result.ExpiresIn))
          : Option.getOrElse(Jwt.unverifiedExpiry(result.AccessToken), () => DateTime.addDuration(now, Duration.hours(1)))
        return TokenSet.make({
          accessToken: Redacted.make(result.AccessToken),
          issuedAt: now,
          expiresAt,
          ...(result.RefreshToken === undefined ? {} : { refreshToken: Redacted.make(result.RefreshToken) }),
          ...(result.IdToken === undefined ? {} : { idToken: Redacted.make(result.IdToken) })
        })
      })
    return AuthProvider.make({
      key: options.key ?? `cognito:${options.region}#${options.clientId}#${options.username}`,
      acquire: Effect.flatMap(
        initiate("login", "USER_PASSWORD_AUTH", { USERNAME: options.username, PASSWORD: Redacted.value(options.password) }),
        (output) => toTokens("login", output)
      ),
      refresh: (current) =>
        current.refreshToken === undefined
          ? Effect.fail(new AuthError.RefreshFailedError({ reason: "InvalidGrant", description: "the session has no refresh token" }))
          : Effect.flatMap(
            initiate("refresh", "REFRESH_TOKEN_AUTH", { REFRESH_TOKEN: Redacted.value(current.refreshToken) }),
            (output) => toTokens("refresh", output)
          )
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const userPassword = (options: UserPasswordOptions): Layer.Layer<AuthProvider.AuthProvider> =>
  Layer.effect(AuthProvider.AuthProvider, makeUserPassword(options))
