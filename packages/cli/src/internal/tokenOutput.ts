/**
 * What `toshi token` prints, in plain code: the start-up fast path (no Effect loaded) and the full
 * command must print exactly the same bytes.
 *
 * @internal
 */
export interface PrintableToken {
  readonly accessToken: string
  readonly tokenType: string
  /** Epoch seconds. */
  readonly expiresAt: number
  readonly scope: ReadonlyArray<string>
}

/** @internal */
export type TokenFormat = "header" | "raw" | "json"

/**
 * `Bearer <token>` (or the API key itself, which has no scheme), the bare token, or one JSON line.
 *
 * @internal
 */
export const formatToken = (token: PrintableToken, format: TokenFormat): string => {
  switch (format) {
    case "raw":
      return `${token.accessToken}\n`
    case "json":
      return `${
        JSON.stringify({
          access_token: token.accessToken,
          token_type: token.tokenType,
          expires_at: token.expiresAt,
          scope: token.scope.join(" ")
        })
      }\n`
    case "header":
      return token.tokenType === "ApiKey" ? `${token.accessToken}\n` : `${token.tokenType} ${token.accessToken}\n`
  }
}

/**
 * A token is printed only with this much life left; closer to expiry it is renewed first, so a
 * script never gets a token that dies on its way to the API.
 *
 * @internal
 */
export const minimumLifetimeSeconds = 60
