/**
 * RFC 6238 time-based one-time passwords, as the TOTP users of the devserver need them.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/totp.js"

/**
 * The 6-digit TOTP code of a base32 `secret` at `atMs` (default: now): 30-second steps, HMAC-SHA1,
 * the parameters authenticator apps use. The server accepts the code of the step before and after too.
 *
 * @example
 * const bob = server.users.find((user) => user.totpSecret !== undefined)!
 * const code = totp(bob.totpSecret!)
 *
 * @since 0.1.0
 * @category constructors
 */
export const totp = (secret: string, atMs?: number): string => internal.totp(secret, atMs)
