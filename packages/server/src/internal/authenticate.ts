/**
 * From request headers to a principal: the one path behind the `HttpApi` middleware and the
 * Promise facade, so both accept and refuse exactly the same requests.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as ApiKeys from "../ApiKeys.js"
import type * as JwtVerifier from "../JwtVerifier.js"
import * as Principal from "../Principal.js"
import { AccessDenied, type ApiKeyStoreError, InvalidToken, type JwksUnavailable } from "../VerifyError.js"
import type { Claims } from "./engine.js"
import * as Scopes from "./scopes.js"

export interface Settings {
  /** Machine tokens are accepted only with a scope this matches; without it, not at all. */
  readonly machineScope?: Scopes.Matcher | undefined
  /** Asked of every token, e.g. `{ tokenUse: "access" }`. */
  readonly expectations?: JwtVerifier.Expectations | undefined
}

export type Failure = InvalidToken | AccessDenied | JwksUnavailable | ApiKeyStoreError

/** The two headers that can carry a credential, lower-cased as Node and `@effect/platform` give them. */
export interface Credentials {
  readonly authorization: string | undefined
  readonly apiKey: string | undefined
}

const missing = (apiKeys: boolean) =>
  new InvalidToken({
    reason: "MissingCredentials",
    description: apiKeys ? "the request has no Authorization header and no X-API-Key header" : "the request has no Authorization header"
  }, true)

/** What follows `Bearer ` (the scheme is case-insensitive, RFC 7235 §2.1), or an error. */
export const bearer = (authorization: string | undefined, apiKeys: boolean): string | InvalidToken => {
  if (authorization === undefined || authorization === "") return missing(apiKeys)
  if (authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== "bearer ") {
    return new InvalidToken({ reason: "Malformed", description: "the Authorization header is not `Bearer <token>`" }, true)
  }
  return authorization.slice(7).trim()
}

/** The principal of verified claims, once the machine rule is applied. */
export const principalOf = (claims: Claims, settings: Settings): Principal.User | Principal.Machine | AccessDenied => {
  const principal = Principal.fromClaims(claims)
  if (principal._tag === "Machine") {
    const required = settings.machineScope
    if (required === undefined) {
      return new AccessDenied({ reason: "InsufficientScope", description: "machine tokens are not accepted here" }, true)
    }
    if (!Scopes.matches(principal.scopes, required)) {
      return new AccessDenied({
        reason: "InsufficientScope",
        description: `a machine token needs ${Scopes.describeMatcher(required)}`
      }, true)
    }
  }
  return principal
}

export interface Authenticator {
  readonly token: (token: string) => Effect.Effect<Principal.User | Principal.Machine, InvalidToken | AccessDenied | JwksUnavailable>
  readonly credentials: (credentials: Credentials) => Effect.Effect<Principal.Principal, Failure>
}

export const make = (options: {
  readonly verifier: JwtVerifier.JwtVerifierService
  readonly apiKeys?: ApiKeys.ApiKeysService | undefined
  readonly settings: Settings
}): Authenticator => {
  const { apiKeys, settings, verifier } = options
  const token = (value: string) =>
    Effect.flatMap(verifier.verify(value, settings.expectations), (claims) => {
      const principal = principalOf(claims, settings)
      return principal instanceof AccessDenied ? Effect.fail(principal) : Effect.succeed(principal)
    })
  const credentials = (credentials: Credentials): Effect.Effect<Principal.Principal, Failure> => {
    // An explicit API key header wins; it never falls back to the Authorization header, so a
    // revoked key is reported as revoked.
    if (apiKeys !== undefined && credentials.apiKey !== undefined && credentials.apiKey !== "") {
      return apiKeys.verify(credentials.apiKey)
    }
    const value = bearer(credentials.authorization, apiKeys !== undefined)
    if (typeof value !== "string") return Effect.fail(value)
    if (apiKeys !== undefined && apiKeys.looksLikeKey(value)) return apiKeys.verify(value)
    return token(value)
  }
  return { token, credentials }
}
