import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"

/**
 * The `exp` claim of a JWT, read without verifying it: only to know when to renew a token that a
 * server will verify anyway. `undefined` for anything that is not a JWT with a numeric `exp`.
 *
 * @internal
 */
export const expiry = (token: string): DateTime.Utc | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3) return undefined
  const decoded = Encoding.decodeBase64UrlString(parts[1]!)
  if (Either.isLeft(decoded)) return undefined
  try {
    const payload: unknown = JSON.parse(decoded.right)
    if (typeof payload !== "object" || payload === null || !("exp" in payload)) return undefined
    const exp = payload.exp
    return typeof exp === "number" && Number.isFinite(exp) ? DateTime.unsafeMake(exp * 1000) : undefined
  } catch {
    return undefined
  }
}
