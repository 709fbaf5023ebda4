/**
 * Verifies the JWTs of one issuer (a Cognito user pool, or any OpenID Connect issuer): access
 * tokens of users and of machines (client credentials), and ID tokens.
 *
 * The issuer's JWKS is fetched over HTTPS (plain HTTP only on a loopback address) with a timeout,
 * a size cap and no redirects; it is loaded at start-up, fetched again for an unknown `kid` at most
 * once per cooldown, and refreshed in the background after a maximum age, so a key the issuer
 * removes stops being trusted. Concurrent fetches are merged into one.
 *
 * Each token is checked in this order: size, canonical base64url, header (`crit` refused, `kid`
 * required, the algorithm in the allowlist and bound to the key's type, curve and `alg`), the
 * signature (synchronous `node:crypto`, key objects built once), then the payload: exact `iss`,
 * `exp` required, `nbf` and `iat` not in the future beyond the clock tolerance, `token_use`, the
 * client (`client_id` of access tokens, `aud` of ID tokens), the audience and the scopes.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as engine from "./internal/engine.js"
import type * as jwk from "./internal/jwk.js"
import * as internal from "./internal/jwtVerifier.js"
import type * as Scopes from "./internal/scopes.js"
import type { AccessDenied, InvalidToken, JwksUnavailable, VerifierMisconfigured } from "./VerifyError.js"

/**
 * The asymmetric JWS algorithms a verifier may allow. `none` and the symmetric `HS*` never are.
 *
 * @since 0.1.0
 * @category models
 */
export type Algorithm = jwk.Algorithm

/**
 * Cognito's `token_use` claim.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenUse = "access" | "id"

/**
 * Scopes a token must hold: every one of `allOf`, and at least one of `anyOf`.
 *
 * @since 0.1.0
 * @category models
 */
export type ScopeRequirement = Scopes.Requirement

/**
 * What a particular check asks of a token beyond the verifier's own options (e.g. per route).
 *
 * @since 0.1.0
 * @category models
 */
export interface Expectations {
  readonly scopes?: ScopeRequirement | undefined
  readonly tokenUse?: TokenUse | ReadonlyArray<TokenUse> | undefined
}

/**
 * How the issuer's JWKS is fetched and kept.
 *
 * @since 0.1.0
 * @category models
 */
export interface JwksOptions {
  /** The whole exchange (connect, status, body). Default 5 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Largest JWKS accepted, in bytes. Default 128 KiB. */
  readonly maxBytes?: number | undefined
  /** Least time between two fetches caused by unknown `kid`s. Default 30 seconds. */
  readonly cooldown?: Duration.DurationInput | undefined
  /**
   * Keys older than this are fetched again in the background. Default 10 minutes. A refresh that
   * fails keeps the keys already loaded (an issuer outage does not take the API down) and is
   * retried after the cooldown (at least a second).
   */
  readonly maxAge?: Duration.DurationInput | undefined
}

/**
 * The options of one issuer's verifier. At least one of `clientIds` and `audiences` is required,
 * so that tokens the issuer gave to other clients are not accepted by accident.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Exactly the `iss` of its tokens, e.g. `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`. */
  readonly issuer: string
  /** Default `{issuer}/.well-known/jwks.json` (Cognito's). Must be https, or http on a loopback address. */
  readonly jwksUri?: string | undefined
  /** Default `["RS256"]` (what Cognito signs with). */
  readonly algorithms?: ReadonlyArray<Algorithm> | undefined
  /** Required `token_use` (Cognito: `"access"`, `"id"` or both). Not checked when absent: generic OIDC issuers do not set it. */
  readonly tokenUse?: TokenUse | ReadonlyArray<TokenUse> | undefined
  /** Accepted clients: `client_id` of access tokens, `aud` of ID tokens. `"any"` checks none. */
  readonly clientIds?: ReadonlyArray<string> | "any" | undefined
  /** Accepted audiences (`aud`), e.g. the API's resource indicator. */
  readonly audiences?: ReadonlyArray<string> | undefined
  /** Scopes every token must hold. */
  readonly scopes?: ScopeRequirement | undefined
  /** Clock skew allowed on `exp`, `nbf` and `iat`. Default 5 seconds. */
  readonly clockTolerance?: Duration.DurationInput | undefined
  /** Longest token accepted, in characters. Default 8192. */
  readonly maxTokenLength?: number | undefined
  readonly jwks?: JwksOptions | undefined
  /**
   * Keep up to `capacity` verified tokens until they expire, so a token seen again skips the
   * signature check (its times and scopes are still checked on every use). Off by default.
   */
  readonly cache?: { readonly capacity: number } | undefined
}

/**
 * The payload of a verified token.
 *
 * @since 0.1.0
 * @category models
 */
export type Claims = engine.Claims

/**
 * @since 0.1.0
 * @category models
 */
export interface JwtVerifierService {
  /** The issuers whose tokens it accepts. */
  readonly issuers: ReadonlyArray<string>
  readonly verify: (
    token: string,
    expectations?: Expectations
  ) => Effect.Effect<Claims, InvalidToken | AccessDenied | JwksUnavailable>
  /** Fetches the JWKS now (joining a fetch in flight). */
  readonly hydrate: Effect.Effect<void, JwksUnavailable>
  /** The `kid`s trusted right now. */
  readonly keyIds: Effect.Effect<ReadonlyArray<string>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class JwtVerifier extends Context.Tag("@toshi/server/JwtVerifier")<JwtVerifier, JwtVerifierService>() {}

/**
 * Builds a verifier; its background refresh lives as long as the scope. The JWKS is fetched in the
 * background at once: `hydrate` waits for it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options: Options
) => Effect.Effect<JwtVerifierService, VerifierMisconfigured, HttpClient.HttpClient | Scope.Scope> = internal.make

/**
 * One verifier over several issuers: a token goes to the verifier of the `iss` it names.
 *
 * @since 0.1.0
 * @category constructors
 */
export const combine: (verifiers: ReadonlyArray<JwtVerifierService>) => JwtVerifierService = internal.combine

/**
 * A verifier for one issuer, or for several (combined). Building it loads every JWKS: a server
 * whose identity provider cannot be reached fails at start-up rather than on its first request.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options | ReadonlyArray<Options>
): Layer.Layer<JwtVerifier, VerifierMisconfigured | JwksUnavailable, HttpClient.HttpClient> =>
  Layer.scoped(
    JwtVerifier,
    Effect.gen(function*() {
      const list: ReadonlyArray<Options> = Array.isArray(options) ? options : [options as Options]
      const verifier = combine(yield* Effect.forEach(list, make))
      yield* verifier.hydrate
      return verifier
    })
  )

/**
 * Verifies a token with the verifier in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const verify = (
  token: string,
  expectations?: Expectations
): Effect.Effect<Claims, InvalidToken | AccessDenied | JwksUnavailable, JwtVerifier> =>
  Effect.flatMap(JwtVerifier, (verifier) => verifier.verify(token, expectations))

/**
 * The options of a Cognito user pool: its issuer URL from the region and pool id, and a required
 * `token_use`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const cognito = (
  options: Omit<Options, "issuer" | "tokenUse"> & {
    readonly region: string
    readonly userPoolId: string
    readonly tokenUse: TokenUse | ReadonlyArray<TokenUse>
  }
): Options => {
  const { region, userPoolId, ...rest } = options
  return { ...rest, issuer: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}` }
}
