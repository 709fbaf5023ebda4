/**
 * Reading a JWT's claims without verifying it: only to schedule a renewal or show who is logged
 * in. Whoever accepts the token (the API, or `@toshi/server`) verifies it.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"

/**
 * The payload of a compact JWS, or `None` for anything that is not one.
 *
 * @since 0.1.0
 * @category accessors
 */
export const unverifiedClaims = (token: string): Option.Option<Readonly<Record<string, unknown>>> => {
  const parts = token.split(".")
  if (parts.length !== 3) return Option.none()
  const decoded = Encoding.decodeBase64UrlString(parts[1]!)
  if (Either.isLeft(decoded)) return Option.none()
  try {
    const payload: unknown = JSON.parse(decoded.right)
    return typeof payload === "object" && payload !== null && !Array.isArray(payload)
      ? Option.some(payload as Record<string, unknown>)
      : Option.none()
  } catch {
    return Option.none()
  }
}

const instant = (claim: string) => (token: string): Option.Option<DateTime.Utc> =>
  Option.flatMap(unverifiedClaims(token), (claims) => {
    const seconds = claims[claim]
    return typeof seconds === "number" && Number.isFinite(seconds)
      ? Option.some(DateTime.unsafeMake(seconds * 1000))
      : Option.none()
  })

/**
 * The `exp` claim, unverified.
 *
 * @since 0.1.0
 * @category accessors
 */
export const unverifiedExpiry: (token: string) => Option.Option<DateTime.Utc> = instant("exp")

/**
 * The `iat` claim, unverified.
 *
 * @since 0.1.0
 * @category accessors
 */
export const unverifiedIssuedAt: (token: string) => Option.Option<DateTime.Utc> = instant("iat")
