/**
 * The tokens one identity holds at a time: an access token, and what renews it.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/**
 * A token set. Every secret is `Redacted`, so `String(tokens)`, `JSON.stringify(tokens)`, logs and
 * errors never show one; `Schema.encode(TokenSet)` gives the plain form a token store persists.
 *
 * @since 0.1.0
 * @category models
 */
export class TokenSet extends Schema.Class<TokenSet>("@toshi/core/TokenSet")({
  accessToken: Schema.Redacted(Schema.String),
  tokenType: Schema.optionalWith(Schema.String, { default: () => "Bearer" }),
  expiresAt: Schema.DateTimeUtc,
  refreshToken: Schema.optional(Schema.Redacted(Schema.String)),
  refreshExpiresAt: Schema.optional(Schema.DateTimeUtc),
  idToken: Schema.optional(Schema.Redacted(Schema.String)),
  scope: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  /** When the provider issued the set; the token's lifetime, and so its refresh-ahead margin, is measured from here. */
  issuedAt: Schema.optional(Schema.DateTimeUtc)
}) {
  /**
   * Whether the access token is still usable at `now`, keeping `skew` in hand for clock drift and
   * the time a request takes to reach the server.
   *
   * @since 0.1.0
   */
  isAccessValid(now: DateTime.Utc, skew: Duration.DurationInput = Duration.zero): boolean {
    return DateTime.toEpochMillis(now) + Duration.toMillis(skew) < DateTime.toEpochMillis(this.expiresAt)
  }

  /**
   * Whether a refresh token is present and, when its expiry is known, not expired at `now`.
   *
   * @since 0.1.0
   */
  isRefreshValid(now: DateTime.Utc, skew: Duration.DurationInput = Duration.zero): boolean {
    if (this.refreshToken === undefined) return false
    if (this.refreshExpiresAt === undefined) return true
    return DateTime.toEpochMillis(now) + Duration.toMillis(skew) < DateTime.toEpochMillis(this.refreshExpiresAt)
  }

  /**
   * The `Authorization` header value, e.g. `"Bearer eyJ…"`. This is where the secret leaves its
   * `Redacted` wrapper: use it only to send the request.
   *
   * @since 0.1.0
   */
  get authorizationHeader(): string {
    return `${this.tokenType} ${Redacted.value(this.accessToken)}`
  }
}

/**
 * The fields of a token set, as `TokenSet.make` takes them (secrets already `Redacted`).
 *
 * @since 0.1.0
 * @category models
 */
export type TokenSetFields = ConstructorParameters<typeof TokenSet>[0]

/**
 * Builds a token set.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (fields: TokenSetFields): TokenSet => new TokenSet(fields)

/**
 * The persisted form of a token set: secrets in plain text and dates as ISO strings. Only token
 * stores should use it, at the moment they write.
 *
 * @since 0.1.0
 * @category models
 */
export type Encoded = typeof TokenSet.Encoded

/**
 * Encodes a token set into the plain form a store writes.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encode: (tokens: TokenSet) => Encoded = Schema.encodeSync(TokenSet)

/**
 * Decodes the plain persisted form; fails with a `ParseError` on anything else.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeUnknown = Schema.decodeUnknown(TokenSet)

/**
 * Whether two token sets carry the same access token.
 *
 * @since 0.1.0
 * @category guards
 */
export const sameAccessToken = (a: TokenSet, b: TokenSet): boolean =>
  Redacted.value(a.accessToken) === Redacted.value(b.accessToken)
