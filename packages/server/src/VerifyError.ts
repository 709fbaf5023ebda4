/**
 * Every way checking a request's credential can fail, split by whose fault it is: the caller's
 * (`InvalidToken`: 401, `AccessDenied`: 403), the identity provider's (`JwksUnavailable`: 503), the
 * API key store's (`ApiKeyStoreError`: 503) or the server's configuration (`VerifierMisconfigured`:
 * 500). Each is a `Schema.TaggedError` annotated with its HTTP status, so an `HttpApi` answers it
 * with that status and a JSON body of `_tag`, `reason` and `description`. No field ever carries a
 * token, a key or a secret.
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * The credential itself is wrong: missing, malformed, forged, expired, or meant for someone else.
 * The caller must get a new one; retrying with the same one cannot succeed.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidToken extends Schema.TaggedError<InvalidToken>("@toshi/server/InvalidToken")(
  "InvalidToken",
  {
    reason: Schema.Literal(
      "MissingCredentials",
      "Malformed",
      "TooLarge",
      "NonCanonicalEncoding",
      "AlgorithmNotAllowed",
      "MissingKeyId",
      "UnknownKey",
      "KeyMismatch",
      "UnsupportedCriticalHeader",
      "InvalidSignature",
      "MissingExpiry",
      "Expired",
      "NotYetValid",
      "IssuedInFuture",
      "WrongIssuer",
      "WrongTokenUse",
      "WrongClient",
      "WrongAudience",
      "UnknownApiKey",
      "RevokedApiKey"
    ),
    description: Schema.String
  },
  HttpApiSchema.annotations({ status: 401 })
) {
  override get message(): string {
    return `The credential was rejected (${this.reason}): ${this.description}. ${invalidTokenAdvice[this.reason]}`
  }
}

const newToken = "Get a new token from the issuer and send it as `Authorization: Bearer <token>`."

const invalidTokenAdvice: Record<InvalidToken["reason"], string> = {
  MissingCredentials: "Send `Authorization: Bearer <token>` (or `X-API-Key` where API keys are accepted).",
  Malformed: "Send the token exactly as the issuer returned it, without quotes or extra characters.",
  TooLarge: "Send the token exactly as the issuer returned it; if it is genuine, raise the verifier's maxTokenLength.",
  NonCanonicalEncoding: "Send the token exactly as the issuer returned it.",
  AlgorithmNotAllowed: "Use a token from the configured issuer; if the issuer changed algorithms, add it to the verifier's allowlist.",
  MissingKeyId: "Use a token from the configured issuer: its tokens name their signing key.",
  UnknownKey: "Use a token signed by one of the issuer's current keys: " + newToken,
  KeyMismatch: "Use a token from the configured issuer: " + newToken,
  UnsupportedCriticalHeader: "Use a token from the configured issuer: " + newToken,
  InvalidSignature: newToken,
  MissingExpiry: "Use a token from the configured issuer: its tokens expire.",
  Expired: newToken,
  NotYetValid: "Wait until the token is valid, or check the clocks of the issuer and this server.",
  IssuedInFuture: "Check the clocks of the issuer and this server.",
  WrongIssuer: "Use a token from the issuer this API trusts.",
  WrongTokenUse: "Send the kind of token this API expects (an access token, usually).",
  WrongClient: "Use a token issued to a client this API accepts.",
  WrongAudience: "Request the token for this API (its audience or resource).",
  UnknownApiKey: "Check the API key, or create a new one.",
  RevokedApiKey: "The key was revoked: create a new one."
}

/**
 * The credential is genuine, but it does not allow this: a missing scope, a machine without the
 * API scope, or a resource the principal may not touch.
 *
 * @since 0.1.0
 * @category errors
 */
export class AccessDenied extends Schema.TaggedError<AccessDenied>("@toshi/server/AccessDenied")(
  "AccessDenied",
  {
    reason: Schema.Literal("InsufficientScope", "ResourceDenied"),
    description: Schema.String
  },
  HttpApiSchema.annotations({ status: 403 })
) {
  override get message(): string {
    return `Access denied (${this.reason}): ${this.description}. ${
      this.reason === "InsufficientScope"
        ? "Request a token with the scope named, or grant it to the client."
        : "Use a principal that is allowed this resource."
    }`
  }
}

/**
 * The issuer's key set could not be fetched, so a token could not be checked. It is never
 * accepted instead: the caller may retry later.
 *
 * @since 0.1.0
 * @category errors
 */
export class JwksUnavailable extends Schema.TaggedError<JwksUnavailable>("@toshi/server/JwksUnavailable")(
  "JwksUnavailable",
  {
    reason: Schema.Literal("Unreachable", "Timeout", "HttpStatus", "Redirected", "TooLarge", "Malformed", "NoUsableKeys"),
    description: Schema.String
  },
  HttpApiSchema.annotations({ status: 503 })
) {
  override get message(): string {
    return `The issuer's signing keys are unavailable (${this.reason}): ${this.description}. ${jwksAdvice[this.reason]}`
  }
}

const jwksAdvice: Record<JwksUnavailable["reason"], string> = {
  Unreachable: "Check the network and the JWKS URI; the request may be retried later.",
  Timeout: "Check the network, or raise the verifier's JWKS timeout; the request may be retried later.",
  HttpStatus: "Check the JWKS URI: it must answer 200.",
  Redirected: "Configure the final JWKS URI: redirects are not followed.",
  TooLarge: "Check the JWKS URI, or raise the verifier's JWKS size limit.",
  Malformed: "Check the JWKS URI: it must answer a JSON Web Key Set.",
  NoUsableKeys: "Check the JWKS URI and the verifier's algorithms: the set has no signing key they allow."
}

/**
 * The API key store (an `@effect/sql` database) failed; the key was neither accepted nor refused.
 *
 * @since 0.1.0
 * @category errors
 */
export class ApiKeyStoreError extends Schema.TaggedError<ApiKeyStoreError>("@toshi/server/ApiKeyStoreError")(
  "ApiKeyStoreError",
  {
    reason: Schema.Literal("Unavailable", "Corrupt"),
    description: Schema.String
  },
  HttpApiSchema.annotations({ status: 503 })
) {
  override get message(): string {
    return `The API key store failed (${this.reason}): ${this.description}. ${
      this.reason === "Unavailable" ? "Check the database; the request may be retried." : "Check the API key table."
    }`
  }
}

/**
 * The verifier's own configuration is wrong (an insecure JWKS URI, an algorithm that is not an
 * asymmetric one, no audience or client to check). Found when the verifier is built.
 *
 * @since 0.1.0
 * @category errors
 */
export class VerifierMisconfigured extends Schema.TaggedError<VerifierMisconfigured>(
  "@toshi/server/VerifierMisconfigured"
)(
  "VerifierMisconfigured",
  {
    reason: Schema.Literal("InvalidIssuer", "InsecureJwksUri", "InvalidAlgorithm", "MissingAudience", "InvalidOption"),
    description: Schema.String
  },
  HttpApiSchema.annotations({ status: 500 })
) {
  override get message(): string {
    return `The token verifier is misconfigured (${this.reason}): ${this.description}. Fix the verifier's options.`
  }
}

/**
 * Every error of `@toshi/server`.
 *
 * @since 0.1.0
 * @category errors
 */
export type VerifyError = InvalidToken | AccessDenied | JwksUnavailable | ApiKeyStoreError | VerifierMisconfigured

/**
 * The schema of {@link VerifyError}: the `failure` of toshi's `HttpApi` middleware.
 *
 * @since 0.1.0
 * @category errors
 */
export const VerifyError: Schema.Union<[
  typeof InvalidToken,
  typeof AccessDenied,
  typeof JwksUnavailable,
  typeof ApiKeyStoreError,
  typeof VerifierMisconfigured
]> = Schema.Union(InvalidToken, AccessDenied, JwksUnavailable, ApiKeyStoreError, VerifierMisconfigured)

const statuses = {
  InvalidToken: 401,
  AccessDenied: 403,
  JwksUnavailable: 503,
  ApiKeyStoreError: 503,
  VerifierMisconfigured: 500
} as const

/**
 * @since 0.1.0
 * @category guards
 */
export const isVerifyError = (u: unknown): u is VerifyError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && Object.hasOwn(statuses, u._tag) &&
  u instanceof Error

/**
 * The HTTP status to answer with: 401, 403, 503 or 500.
 *
 * @since 0.1.0
 * @category accessors
 */
export const status = (error: VerifyError): 401 | 403 | 500 | 503 => statuses[error._tag]

/**
 * The `WWW-Authenticate` challenge of RFC 6750 §3 for a 401 or 403, or `undefined` for the
 * server's own failures (which are not the caller's to fix).
 *
 * @since 0.1.0
 * @category accessors
 */
export const wwwAuthenticate = (error: VerifyError): string | undefined => {
  switch (error._tag) {
    case "InvalidToken":
      return error.reason === "MissingCredentials" ? "Bearer" : `Bearer error="invalid_token"`
    case "AccessDenied":
      return `Bearer error="insufficient_scope"`
    default:
      return undefined
  }
}
