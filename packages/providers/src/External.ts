/**
 * A token from a function of yours: a secrets vault, a sidecar, another SDK. toshi still caches it,
 * renews it ahead of expiry and coalesces concurrent callers.
 *
 * @since 0.1.0
 */
import { AuthError, AuthProvider, Jwt, TokenSet } from "@toshi/core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Option from "effect/Option"
import * as Callback from "./internal/callback.js"

/**
 * What the function may return: the bare token, or the token with its expiry.
 *
 * @since 0.1.0
 * @category models
 */
export type Result =
  | string
  | {
    readonly accessToken: string | Redacted.Redacted<string>
    /** Seconds until expiry, or an absolute expiry. */
    readonly expiresIn?: number | undefined
    readonly expiresAt?: Date | DateTime.DateTime | undefined
    readonly tokenType?: string | undefined
  }

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Names the identity in the token store. */
  readonly key: string
  /** Returns the token: plainly, as a Promise, or as an Effect. */
  readonly getToken: () => Result | null | undefined | PromiseLike<Result | null | undefined> | Effect.Effect<Result | null | undefined, AuthError.AuthError>
  /**
   * How long a token without a known expiry is used. A JWT's `exp` claim counts as known.
   * Default 5 minutes.
   */
  readonly defaultLifetime?: Duration.DurationInput | undefined
}

const empty = () =>
  new AuthError.NoCredentialsError({
    reason: "EmptyToken",
    description: "the external token function returned no token: check what it reads from"
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): AuthProvider.AuthProviderService => {
  const call = Callback.call(options.getToken, failed)
  return AuthProvider.make({
    key: options.key,
    acquire: Effect.gen(function*() {
      // Read before the call: an `expiresIn` counts from no later than when the function was asked.
      const now = yield* DateTime.now
      const result = yield* call
      const accessToken = result === null || result === undefined
        ? ""
        : typeof result === "string"
        ? result
        : Redacted.isRedacted(result.accessToken)
        ? Redacted.value(result.accessToken)
        : result.accessToken
      if (typeof accessToken !== "string" || accessToken.trim() === "") return yield* empty()
      const explicit = typeof result === "object" && result !== null ? result : undefined
      const expiresAt = explicit?.expiresAt !== undefined
        ? DateTime.unsafeMake(explicit.expiresAt)
        : explicit?.expiresIn !== undefined
        ? DateTime.addDuration(now, Duration.seconds(explicit.expiresIn))
        : Option.getOrElse(
          Jwt.unverifiedExpiry(accessToken),
          () => DateTime.addDuration(now, options.defaultLifetime ?? Duration.minutes(5))
        )
      return TokenSet.make({
        accessToken: Redacted.make(accessToken),
        ...(explicit?.tokenType === undefined ? {} : { tokenType: explicit.tokenType }),
        issuedAt: now,
        expiresAt: DateTime.toUtc(expiresAt)
      })
    })
  })
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<AuthProvider.AuthProvider> => AuthProvider.layer(make(options))

const failed = (cause: unknown) =>
  new AuthError.LoginFailedError({
    reason: "ExternalFailed",
    description: `the external token function failed: ${cause instanceof Error ? cause.name : typeof cause}`,
    cause
  })
