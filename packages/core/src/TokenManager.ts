/**
 * The one way to get a valid token: `token`, `headers` and `authorizationHeader` hand out the
 * current token without a lock or I/O while it is fresh, renew it once however many callers ask,
 * and keep it fresh from a background fiber.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { AuthError, TokenStoreError } from "./AuthError.js"
import type { AuthProvider } from "./AuthProvider.js"
import * as internal from "./internal/tokenManager.js"
import type { RefreshHooks } from "./RefreshHooks.js"
import type { RefreshPolicy } from "./RefreshPolicy.js"
import type { TokenSet } from "./TokenSet.js"
import type { TokenStore } from "./TokenStore.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenManagerService {
  /** The provider key this manager renews. */
  readonly key: string
  /** A valid token set: from memory while fresh, else renewed (once, for all concurrent callers). */
  readonly token: Effect.Effect<TokenSet, AuthError>
  /** The request headers carrying the token: `{ authorization: "Bearer …" }`, or the provider's own (e.g. `x-api-key`). */
  readonly headers: Effect.Effect<Readonly<Record<string, string>>, AuthError>
  /** The `Authorization` header value. */
  readonly authorizationHeader: Effect.Effect<string, AuthError>
  /**
   * Renews now, e.g. after a server answered 401 to the current token. Concurrent calls coalesce
   * into one renewal, and a token another process saved meanwhile is taken instead.
   */
  readonly forceRefresh: Effect.Effect<TokenSet, AuthError>
  /** Forgets the token, in memory and in the store (log out). */
  readonly clear: Effect.Effect<void, TokenStoreError>
  /**
   * Never succeeds; fails when a renewal fails for good (the policy said `Raise`, or a re-login
   * failed). A daemon runs it beside its work so that such a failure ends the program:
   * `Effect.raceFirst(work, manager.keepFresh)` under `NodeRuntime.runMain` exits non-zero.
   */
  readonly keepFresh: Effect.Effect<never, AuthError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class TokenManager extends Context.Tag("@toshi/core/TokenManager")<TokenManager, TokenManagerService>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * How long before expiry a token is renewed in the background; capped at half the token's
   * lifetime, and shortened by a random part of `jitter`. Default 5 minutes.
   */
  readonly refreshAhead?: Duration.DurationInput | undefined
  /**
   * How long before expiry a token stops being handed out (clock drift, request latency); capped
   * at a quarter of the token's lifetime so short-lived tokens stay usable. Default 30 seconds.
   */
  readonly expirySkew?: Duration.DurationInput | undefined
  /** The random fraction taken off the refresh-ahead margin, 0 to 0.5. Default 0.1. */
  readonly jitter?: number | undefined
  /** Whether a background fiber renews ahead of expiry. Default `true`. */
  readonly backgroundRefresh?: boolean | undefined
  /** Backoff for transient failures (network, timeout, 5xx, 429). */
  readonly retry?: {
    /** Default 500 milliseconds, doubling each attempt, with jitter. */
    readonly initialDelay?: Duration.DurationInput | undefined
    /** Default 30 seconds. */
    readonly maxDelay?: Duration.DurationInput | undefined
    /**
     * Attempts when no current token can be served meanwhile. While one can, retries go on until
     * it expires. Default 3.
     */
    readonly maxAttempts?: number | undefined
  } | undefined
}

/**
 * Builds a manager whose background fiber lives as long as the scope. Use it directly when an app
 * needs several managers at once (two APIs, two identities), each with its own provider.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options?: Options
) => Effect.Effect<TokenManagerService, never, AuthProvider | TokenStore | RefreshPolicy | RefreshHooks | Scope.Scope> =
  internal.make

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<TokenManager, never, AuthProvider | TokenStore | RefreshPolicy | RefreshHooks> =>
  Layer.scoped(TokenManager, make(options))

/**
 * @since 0.1.0
 * @category accessors
 */
export const token: Effect.Effect<TokenSet, AuthError, TokenManager> = Effect.flatMap(TokenManager, (m) => m.token)

/**
 * @since 0.1.0
 * @category accessors
 */
export const headers: Effect.Effect<Readonly<Record<string, string>>, AuthError, TokenManager> = Effect.flatMap(
  TokenManager,
  (m) => m.headers
)

/**
 * @since 0.1.0
 * @category accessors
 */
export const authorizationHeader: Effect.Effect<string, AuthError, TokenManager> = Effect.flatMap(
  TokenManager,
  (m) => m.authorizationHeader
)

/**
 * @since 0.1.0
 * @category accessors
 */
export const forceRefresh: Effect.Effect<TokenSet, AuthError, TokenManager> = Effect.flatMap(
  TokenManager,
  (m) => m.forceRefresh
)

/**
 * @since 0.1.0
 * @category accessors
 */
export const clear: Effect.Effect<void, TokenStoreError, TokenManager> = Effect.flatMap(TokenManager, (m) => m.clear)

/**
 * @since 0.1.0
 * @category accessors
 */
export const keepFresh: Effect.Effect<never, AuthError, TokenManager> = Effect.flatMap(
  TokenManager,
  (m) => m.keepFresh
)
