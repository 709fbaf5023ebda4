/**
 * Who made a request, once its credential has been checked: a `User` (a person's token), a
 * `Machine` (a client-credentials token) or an `ApiKey`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type { Claims } from "./JwtVerifier.js"
import * as Scopes from "./internal/scopes.js"

/**
 * A person, from an access token or an ID token.
 *
 * @since 0.1.0
 * @category models
 */
export class User extends Data.TaggedClass("User")<{
  readonly issuer: string
  readonly subject: string
  /** `username` (Cognito access tokens), `cognito:username` (ID tokens) or `preferred_username`. */
  readonly username?: string
  /** `cognito:groups`, or `groups`. */
  readonly groups: ReadonlyArray<string>
  readonly scopes: ReadonlyArray<string>
  /** The app client the token was issued to. */
  readonly clientId?: string
  readonly claims: Claims
}> {}

/**
 * A program holding client credentials (OAuth 2.0 `client_credentials`): a token whose subject is
 * its own client.
 *
 * @since 0.1.0
 * @category models
 */
export class Machine extends Data.TaggedClass("Machine")<{
  readonly issuer: string
  readonly clientId: string
  readonly scopes: ReadonlyArray<string>
  readonly claims: Claims
}> {}

/**
 * The holder of an API key.
 *
 * @since 0.1.0
 * @category models
 */
export class ApiKey extends Data.TaggedClass("ApiKey")<{
  readonly keyId: string
  readonly owner: string
  /** The only resource the key may touch, when it was created for one. */
  readonly resource?: string
}> {}

/**
 * Who made a request. Plain data classes rather than `Schema` classes: one is built on every
 * request, and a `Schema` class costs microseconds to construct even without validation.
 *
 * @since 0.1.0
 * @category models
 */
export type Principal = User | Machine | ApiKey

/**
 * The principal of the current request, provided by toshi's `HttpApi` middleware.
 *
 * @since 0.1.0
 * @category tags
 */
export class CurrentPrincipal extends Context.Tag("@toshi/server/CurrentPrincipal")<CurrentPrincipal, Principal>() {}

const str = (u: unknown): string | undefined => (typeof u === "string" && u !== "" ? u : undefined)

const strings = (u: unknown): ReadonlyArray<string> =>
  Array.isArray(u) ? u.filter((s): s is string => typeof s === "string") : typeof u === "string" ? [u] : []

/**
 * The principal a verified token stands for. A token whose subject is its own client (or that has
 * no subject) is a `Machine`, as client-credentials tokens of Cognito and of OpenID Connect
 * providers are; any other is a `User`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClaims = (claims: Claims): User | Machine => {
  const subject = str(claims["sub"])
  const clientId = str(claims["client_id"]) ?? (claims["token_use"] === "id" ? strings(claims["aud"])[0] : undefined) ??
    str(claims["azp"])
  const scopes = Scopes.ofClaims(claims)
  if (claims["token_use"] !== "id" && (subject === undefined || subject === clientId)) {
    return new Machine({ issuer: claims.iss, clientId: clientId ?? "", scopes, claims })
  }
  const username = str(claims["username"]) ?? str(claims["cognito:username"]) ?? str(claims["preferred_username"])
  return new User({
    issuer: claims.iss,
    subject: subject ?? "",
    ...(username === undefined ? {} : { username }),
    groups: strings(claims["cognito:groups"] ?? claims["groups"]),
    scopes,
    ...(clientId === undefined ? {} : { clientId }),
    claims
  })
}

/**
 * The scopes a principal holds. API keys hold none: they are limited by resource instead.
 *
 * @since 0.1.0
 * @category accessors
 */
export const scopes = (principal: Principal): ReadonlyArray<string> => principal._tag === "ApiKey" ? [] : principal.scopes

/**
 * A name for logs and audit trails: `user:{subject}`, `machine:{clientId}` or `apikey:{keyId}`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const describe = (principal: Principal): string => {
  switch (principal._tag) {
    case "User":
      return `user:${principal.subject}`
    case "Machine":
      return `machine:${principal.clientId}`
    case "ApiKey":
      return `apikey:${principal.keyId}`
  }
}

/**
 * @since 0.1.0
 * @category guards
 */
export const isUser = (principal: Principal): principal is User => principal._tag === "User"

/**
 * @since 0.1.0
 * @category guards
 */
export const isMachine = (principal: Principal): principal is Machine => principal._tag === "Machine"

/**
 * @since 0.1.0
 * @category guards
 */
export const isApiKey = (principal: Principal): principal is ApiKey => principal._tag === "ApiKey"
