/**
 * The one place where a number from outside (a JSON field, a JWT claim, a header) becomes a time.
 * Every decoder (token stores, token responses, the CLI's fast path, the server's verifier) goes
 * through here, so an `expires_at` of 1e20 is one typed answer everywhere instead of an
 * `IllegalArgumentException` in one place, `Infinity` in another and a `RangeError` on save.
 *
 * Plain code (no Effect): the CLI's start-up fast path uses it before any of Effect is loaded.
 * Each function returns epoch milliseconds (or a duration in milliseconds), or an `InvalidTime`
 * naming the field, which the caller wraps in its own typed error.
 *
 * @since 0.1.0
 */

/**
 * The latest instant accepted: 9999-12-31T23:59:59.999Z. Later values are not tokens' lifetimes but
 * garbage, and past 275760 they are not even dates in ECMAScript.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxEpochMillis = 253_402_300_799_999

/**
 * The longest duration accepted from outside (`expires_in`, `refresh_expires_in`, `Retry-After`):
 * 100 years, in seconds. What a token is actually trusted for is clamped further by the token
 * manager's lifetime limit.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxDurationSeconds = 3_155_760_000

/**
 * Why a value is not a time.
 *
 * @since 0.1.0
 * @category models
 */
export type Problem = "Missing" | "NotANumber" | "Negative" | "OutOfRange" | "NotADate"

/**
 * A value that is not a usable time, with the field it came from. Not an error by itself: each
 * decoder turns it into its own typed error (`TokenStoreError`, `LoginFailedError`, ...), using
 * `message` as the description. It holds a short rendering of the value, never more than 40 characters.
 *
 * @since 0.1.0
 * @category models
 */
export class InvalidTime {
  readonly _tag = "InvalidTime"
  /** The value as received, cut to 40 characters (time fields carry no secret). */
  readonly shown: string
  constructor(
    readonly field: string,
    readonly problem: Problem,
    value: unknown
  ) {
    const text = typeof value === "string" ? JSON.stringify(value) : String(value)
    this.shown = text.length > 40 ? `${text.slice(0, 37)}...` : text
  }

  get message(): string {
    const what = `"${this.field}"`
    switch (this.problem) {
      case "Missing":
        return `${what} is missing`
      case "NotANumber":
        return `${what} is ${this.shown}, not a number`
      case "Negative":
        return `${what} is ${this.shown}, a negative time`
      case "OutOfRange":
        return `${what} is ${this.shown}, outside the range of times a token can have (1970 to 9999)`
      case "NotADate":
        return `${what} is ${this.shown}, not a date (epoch seconds or an ISO 8601 date)`
    }
  }
}

/**
 * Whether a result is an `InvalidTime`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isInvalid = (result: unknown): result is InvalidTime => result instanceof InvalidTime

const inRange = (field: string, value: unknown, millis: number): number | InvalidTime =>
  millis >= 0 && millis <= maxEpochMillis ? millis : new InvalidTime(field, "OutOfRange", value)

const finite = (field: string, value: unknown): number | InvalidTime => {
  if (value === undefined || value === null) return new InvalidTime(field, "Missing", value)
  if (typeof value !== "number" || !Number.isFinite(value)) return new InvalidTime(field, "NotANumber", value)
  return value
}

/**
 * A NumericDate (RFC 7519: seconds since the epoch, as JWT `exp`/`iat`/`nbf` and stored
 * `expires_at` are), as epoch milliseconds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEpochSeconds = (field: string, value: unknown): number | InvalidTime => {
  const seconds = finite(field, value)
  return typeof seconds === "number" ? inRange(field, value, Math.round(seconds * 1000)) : seconds
}

/**
 * Epoch milliseconds from outside (a JavaScript `Date` value a user handed over), range-checked.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEpochMillis = (field: string, value: unknown): number | InvalidTime => {
  const millis = finite(field, value)
  return typeof millis === "number" ? inRange(field, value, Math.round(millis)) : millis
}

/**
 * A duration in seconds (`expires_in`, a `Retry-After` delta, a numeric string allowed for the
 * servers that send one), as milliseconds: finite, not negative, at most `maxDurationSeconds`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSeconds = (field: string, value: unknown): number | InvalidTime => {
  const parsed = typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value
  const seconds = finite(field, parsed)
  if (typeof seconds !== "number") return seconds
  if (seconds < 0) return new InvalidTime(field, "Negative", value)
  if (seconds > maxDurationSeconds) return new InvalidTime(field, "OutOfRange", value)
  return Math.round(seconds * 1000)
}

/**
 * The instant `value` seconds after `baseMillis` (an `expires_in` counted from when the request
 * left), range-checked as a duration and as an instant.
 *
 * @since 0.1.0
 * @category constructors
 */
export const afterSeconds = (field: string, baseMillis: number, value: unknown): number | InvalidTime => {
  const millis = fromSeconds(field, value)
  return typeof millis === "number" ? inRange(field, value, baseMillis + millis) : millis
}

const numeric = /^\s*-?\d+(\.\d+)?\s*$/
const zoned = /(Z|[+-]\d{2}(:?\d{2})?)$/i

/**
 * A stored instant written by any of the tools that share a credentials file: epoch seconds (a number
 * or a numeric string) or an ISO 8601 date (without a zone it is read as UTC, as Python's
 * `datetime.utcnow().isoformat()` writes it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromStored = (field: string, value: unknown): number | InvalidTime => {
  if (typeof value === "number") return fromEpochSeconds(field, value)
  if (typeof value !== "string") return value === undefined || value === null
    ? new InvalidTime(field, "Missing", value)
    : new InvalidTime(field, "NotADate", value)
  if (numeric.test(value)) return fromEpochSeconds(field, Number(value))
  const text = value.trim()
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return new InvalidTime(field, "NotADate", value)
  const millis = Date.parse(zoned.test(text) || text.length === 10 ? text : `${text}Z`)
  return Number.isFinite(millis) ? inRange(field, value, millis) : new InvalidTime(field, "NotADate", value)
}
