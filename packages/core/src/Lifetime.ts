/**
 * Whether a saved token is still worth using, in plain code (no Effect): the CLI's start-up fast
 * path judges with it before any of Effect is loaded, and the full commands judge the same way.
 *
 * @since 0.1.0
 */

/**
 * Whether a token that expires at `expiresAtMillis` is usable for at least `seconds` more at `now`
 * (both epoch milliseconds). A token that is not, is to be renewed before it is handed out.
 *
 * @since 0.1.0
 * @category predicates
 */
export const usableFor = (expiresAtMillis: number, now: number, seconds: number): boolean =>
  expiresAtMillis - now >= seconds * 1000
