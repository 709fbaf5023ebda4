/**
 * ID token validation (OpenID Connect Core §3.1.3.7) with `jose`: the signature against the
 * issuer's JWKS (fetched through the app's `HttpClient`, so proxies and custom CAs apply), then
 * `iss`, `aud` (and `azp`), `exp`, `iat` and `nonce`. A token that fails is a typed error; it is
 * never accepted silently.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type { AuthError } from "@toshi/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Jose from "jose"
import * as Http from "./internal/http.js"

/**
 * Where an issuer's ID tokens are checked against.
 *
 * @since 0.1.0
 * @category models
 */
export interface Validation {
  readonly issuer: string
  readonly jwksUri: string
  /** Signature algorithms accepted. Default the asymmetric ones: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA. */
  readonly algorithms?: ReadonlyArray<string> | undefined
  /** Clock drift allowed for `exp` and `iat`. Default 60 seconds. */
  readonly clockTolerance?: Duration.DurationInput | undefined
}

/**
 * The claims of a validated ID token.
 *
 * @since 0.1.0
 * @category models
 */
export type Claims = Jose.JWTPayload

const defaultAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

const Jwks = Schema.Struct({ keys: Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown })) })

/** Key sets by JWKS URI, kept for the process and fetched again when a token names an unknown key. */
const keySets = new Map<string, ReturnType<typeof Jose.createLocalJWKSet>>()

let josePromise: Promise<typeof Jose> | undefined

/** `jose` is imported by the first validation, so that importing a provider does not load it. */
const loadJose = (): Promise<typeof Jose> => (josePromise ??= import("jose"))

/**
 * Validates an ID token for `clientId`; `nonce`, when given, must match the token's.
 *
 * @since 0.1.0
 * @category constructors
 */
export const validate = (
  idToken: string,
  options: Validation & {
    readonly clientId: string
    readonly nonce?: string | undefined
    readonly phase?: "login" | "refresh" | undefined
    readonly timeout?: Duration.DurationInput | undefined
  }
): Effect.Effect<Claims, AuthError.LoginFailedError | AuthError.RefreshFailedError, HttpClient.HttpClient> => {
  const phase = options.phase ?? "login"
  const invalid = (description: string, cause?: unknown) =>
    Http.toError(phase, { reason: "InvalidIdToken", description: `the ID token ${description}`, cause })
  const fetchKeys = (jose: typeof Jose) => Effect.tap(
    Http.getJson({ url: options.jwksUri, what: "JWKS URI", phase, timeout: options.timeout ?? "30 seconds" }, Jwks, "a JWKS"),
    (jwks) => Effect.sync(() => keySets.set(options.jwksUri, jose.createLocalJWKSet(jwks as unknown as Jose.JSONWebKeySet)))
  )
  const verify = (jose: typeof Jose) => (keys: ReturnType<typeof Jose.createLocalJWKSet>) =>
    Effect.tryPromise({
      try: () =>
        jose.jwtVerify(idToken, keys, {
          issuer: options.issuer,
          audience: options.clientId,
          algorithms: [...(options.algorithms ?? defaultAlgorithms)],
          clockTolerance: Duration.toSeconds(options.clockTolerance ?? Duration.seconds(60)),
          requiredClaims: ["sub", "iat", "exp"]
        }),
      catch: (cause) => cause
    })
  return Effect.gen(function*() {
    const jose = yield* Effect.promise(loadJose)
    const cached = keySets.get(options.jwksUri)
    const keys = cached ?? (yield* Effect.zipRight(fetchKeys(jose), Effect.sync(() => keySets.get(options.jwksUri)!)))
    const result = yield* verify(jose)(keys).pipe(
      // A key the cached set does not have may be a rotation: fetch the set once more and retry.
      Effect.catchIf(
        (cause) => cached !== undefined && cause instanceof jose.errors.JWKSNoMatchingKey,
        () => Effect.flatMap(Effect.zipRight(fetchKeys(jose), Effect.sync(() => keySets.get(options.jwksUri)!)), verify(jose))
      ),
      Effect.mapError((cause) => cause instanceof jose.errors.JOSEError || cause instanceof TypeError
        ? invalid(describe(jose, cause), cause)
        : Http.toError(phase, { reason: "InvalidIdToken", description: "the ID token could not be checked", cause }))
    )
    const claims = result.payload
    // OIDC Core §3.1.3.7 (4, 5): with several audiences, the authorized party must be this client.
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims["azp"] !== options.clientId) {
      return yield* invalid(`names several audiences but its azp is not ${options.clientId}`)
    }
    if (options.nonce !== undefined && claims["nonce"] !== options.nonce) {
      return yield* invalid("does not carry the nonce this login sent (a replayed or mixed-up response)")
    }
    return claims
  })
}

const describe = (jose: typeof Jose, error: unknown): string => {
  if (error instanceof jose.errors.JWTExpired) return "has expired"
  if (error instanceof jose.errors.JWTClaimValidationFailed) return `failed its "${error.claim}" check (${error.reason})`
  if (error instanceof jose.errors.JWSSignatureVerificationFailed) return "has a signature that does not verify"
  if (error instanceof jose.errors.JWKSNoMatchingKey) return "is signed with a key the issuer does not publish"
  if (error instanceof jose.errors.JOSEAlgNotAllowed) return "is signed with an algorithm that is not allowed"
  if (error instanceof jose.errors.JWSInvalid || error instanceof jose.errors.JWTInvalid) return "is malformed"
  return `is not valid (${error instanceof Error ? error.name : "unknown error"})`
}
