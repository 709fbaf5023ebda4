/**
 * AWS credentials for a logged-in user through a Cognito Identity Pool: the session's ID token →
 * `GetId` → `GetCredentialsForIdentity`, with the `cognito-idp.<region>.amazonaws.com/<pool>`
 * login key. Credentials are kept until shortly before they expire and shared by concurrent
 * callers; an ID token the pool refuses is renewed once and tried again.
 *
 * @since 0.1.0
 */
import type { CognitoIdentityClient } from "@aws-sdk/client-cognito-identity"
import type * as HttpClient from "@effect/platform/HttpClient"
import type { AwsCredentialIdentity } from "@smithy/types"
import { AuthError, Jwt, TokenManager } from "@toshi/core"
import type { TokenSet } from "@toshi/core"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Aws from "./internal/aws.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends Aws.AwsOptions {
  readonly region: string
  readonly identityPoolId: string
  /** The user pool whose ID tokens the identity pool trusts. */
  readonly userPoolId: string
  /** Default `cognito-idp.<region>.amazonaws.com/<user pool id>`, as AWS names a user pool provider. */
  readonly loginKey?: string | undefined
  /** New credentials are fetched this long before the old ones expire. Default 5 minutes. */
  readonly refreshAhead?: Duration.DurationInput | undefined
  /** Per request. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Temporary AWS credentials. The secret parts are redacted.
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  readonly identityId: string
  readonly accessKeyId: string
  readonly secretAccessKey: Redacted.Redacted<string>
  readonly sessionToken: Redacted.Redacted<string>
  readonly expiration: DateTime.Utc
}

/**
 * @since 0.1.0
 * @category models
 */
export interface IdentityPoolService {
  /** Cached credentials, or new ones when they are about to expire. */
  readonly credentials: Effect.Effect<Credentials, AuthError.AuthError>
  /** The same as an AWS SDK credential provider: `new S3Client({ credentials: pool.provider })`. */
  readonly provider: () => Promise<AwsCredentialIdentity>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class IdentityPool extends Context.Tag("@toshi/providers/IdentityPool")<IdentityPool, IdentityPoolService>() {}

/** The identity-pool SDK, loaded by the first exchange (see `Aws.loadSdk`). */
const identitySdk = Aws.loadSdk("@aws-sdk/client-cognito-identity", () => import("@aws-sdk/client-cognito-identity"))

const classify = (operation: "GetId" | "GetCredentialsForIdentity", error: unknown): AuthError.IdentityPoolError => {
  const { message, name } = Aws.describe(error)
  const fail = (reason: AuthError.IdentityPoolError["reason"], description: string) =>
    new AuthError.IdentityPoolError({ reason, description, cause: error })
  switch (name) {
    case "NotAuthorizedException":
      return fail("NotAuthorized", `the identity pool refused the ID token (${message})`)
    case "ResourceNotFoundException":
      return fail("InvalidConfig", `${operation}: ${message}`)
    case "InvalidParameterException":
    case "InvalidIdentityPoolConfigurationException":
      return fail(operation === "GetId" ? "GetIdFailed" : "GetCredentialsFailed", `${operation} was refused (${name}): ${message}`)
  }
  const retryable = Aws.transient(`Cognito Identity (${operation})`, error)
  if (retryable !== undefined) return fail(retryable.reason, retryable.description)
  return fail(operation === "GetId" ? "GetIdFailed" : "GetCredentialsFailed", `${operation} was refused (${name}): ${message}`)
}

/**
 * The identity pool service over the current `TokenManager`'s session.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<IdentityPoolService, never, TokenManager.TokenManager | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const manager = yield* TokenManager.TokenManager
    const config = yield* Aws.clientConfig(options)
    // Built by the first exchange: building the layer neither loads the SDK nor can fail.
    let connected: { readonly sdk: Effect.Effect.Success<typeof identitySdk>; readonly client: CognitoIdentityClient } | undefined
    const connect = Effect.suspend(() =>
      connected !== undefined
        ? Effect.succeed(connected)
        : Effect.map(
          Effect.mapError(identitySdk, (failure) => new AuthError.IdentityPoolError(failure)),
          (sdk) => (connected ??= { sdk, client: new sdk.CognitoIdentityClient(config) })
        )
    )
    // `provider` is called by AWS SDK clients, outside any fiber: it runs on this runtime, so that
    // "due" is judged by the application's clock.
    const runPromise = Aws.runPromise(yield* Effect.runtime<never>())
    const loginKey = options.loginKey ?? `cognito-idp.${options.region}.amazonaws.com/${options.userPoolId}`
    const refreshAhead = Duration.decode(options.refreshAhead ?? "5 minutes")
    const lock = yield* Effect.makeSemaphore(1)
    let cached: Credentials | undefined
    // The identity id is stable per user: asked for once per subject.
    const identities = new Map<string, string>()

    const call = <A>(operation: "GetId" | "GetCredentialsForIdentity", send: (signal: AbortSignal) => Promise<A>) =>
      Effect.tryPromise({ try: send, catch: (error) => classify(operation, error) })

    const exchange = (tokens: TokenSet.TokenSet) =>
      Effect.gen(function*() {
        if (tokens.idToken === undefined) {
          return yield* new AuthError.IdentityPoolError({
            reason: "NoIdToken",
            description: "the session has no ID token to exchange for AWS credentials"
          })
        }
        const { client, sdk } = yield* connect
        const idToken = Redacted.value(tokens.idToken)
        const Logins = { [loginKey]: idToken }
        // Keyed by the (unverified) subject: only a cache key, the pool verifies the token itself.
        const subject = Option.match(Jwt.unverifiedClaims(idToken), {
          onNone: () => idToken,
          onSome: (claims) => (typeof claims["sub"] === "string" ? claims["sub"] : idToken)
        })
        let identityId = identities.get(subject)
        if (identityId === undefined) {
          const output = yield* call("GetId", (signal) =>
            client.send(new sdk.GetIdCommand({ IdentityPoolId: options.identityPoolId, Logins }), { abortSignal: signal }))
          if (output.IdentityId === undefined) {
            return yield* new AuthError.IdentityPoolError({ reason: "InvalidResponse", description: "GetId answered without an IdentityId" })
          }
          identityId = output.IdentityId
        }
        const id = identityId
        const output = yield* call("GetCredentialsForIdentity", (signal) =>
          client.send(new sdk.GetCredentialsForIdentityCommand({ IdentityId: id, Logins }), { abortSignal: signal }))
        const c = output.Credentials
        if (c?.AccessKeyId === undefined || c.SecretKey === undefined || c.SessionToken === undefined || c.Expiration === undefined) {
          return yield* new AuthError.IdentityPoolError({
            reason: "InvalidResponse",
            description: "GetCredentialsForIdentity answered without complete credentials"
          })
        }
        identities.set(subject, id)
        return {
          identityId: id,
          accessKeyId: c.AccessKeyId,
          secretAccessKey: Redacted.make(c.SecretKey),
          sessionToken: Redacted.make(c.SessionToken),
          expiration: DateTime.unsafeMake(c.Expiration)
        } satisfies Credentials
      })

    const fetch = Effect.gen(function*() {
      const tokens = yield* manager.token
      return yield* exchange(tokens).pipe(
        // An ID token the pool refuses (expired a moment early, revoked) gets one renewal.
        Effect.catchIf(
          (error) => error.reason === "NotAuthorized",
          () => Effect.flatMap(manager.forceRefresh, exchange)
        )
      )
    })

    const fresh = (now: DateTime.Utc) =>
      cached !== undefined && DateTime.lessThan(DateTime.addDuration(now, refreshAhead), cached.expiration)

    const credentials: Effect.Effect<Credentials, AuthError.AuthError> = Effect.flatMap(DateTime.now, (now) =>
      fresh(now)
        ? Effect.succeed(cached!)
        : lock.withPermits(1)(
          Effect.flatMap(DateTime.now, (now) =>
            fresh(now) ? Effect.succeed(cached!) : Effect.tap(fetch, (c) => Effect.sync(() => (cached = c)))
          )
        ))

    return {
      credentials,
      provider: () =>
        runPromise(Effect.map(credentials, (c) => ({
          accessKeyId: c.accessKeyId,
          secretAccessKey: Redacted.value(c.secretAccessKey),
          sessionToken: Redacted.value(c.sessionToken),
          expiration: DateTime.toDate(c.expiration)
        })))
    }
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<IdentityPool, never, TokenManager.TokenManager | HttpClient.HttpClient> =>
  Layer.effect(IdentityPool, make(options))

/**
 * One set of credentials, e.g. for `toshi aws-creds`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const awsCredentials = (
  options: Options
): Effect.Effect<Credentials, AuthError.AuthError, TokenManager.TokenManager | HttpClient.HttpClient> =>
  Effect.flatMap(make(options), (pool) => pool.credentials)
