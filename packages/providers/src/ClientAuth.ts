/**
 * How a client proves who it is at the token endpoint (RFC 6749 §2.3), always chosen explicitly.
 *
 * @since 0.1.0
 */
import type * as Redacted from "effect/Redacted"

/**
 * @since 0.1.0
 * @category models
 */
export type ClientAuth =
  | { readonly method: "client_secret_basic"; readonly clientId: string; readonly clientSecret: Redacted.Redacted<string> }
  | { readonly method: "client_secret_post"; readonly clientId: string; readonly clientSecret: Redacted.Redacted<string> }
  | { readonly method: "none"; readonly clientId: string }

/**
 * HTTP Basic authentication with the client id and secret (the default of RFC 6749).
 *
 * @since 0.1.0
 * @category constructors
 */
export const basic = (clientId: string, clientSecret: Redacted.Redacted<string>): ClientAuth => ({
  method: "client_secret_basic",
  clientId,
  clientSecret
})

/**
 * The client id and secret in the request body.
 *
 * @since 0.1.0
 * @category constructors
 */
export const post = (clientId: string, clientSecret: Redacted.Redacted<string>): ClientAuth => ({
  method: "client_secret_post",
  clientId,
  clientSecret
})

/**
 * A public client (a CLI, a desktop app): the client id alone.
 *
 * @since 0.1.0
 * @category constructors
 */
export const none = (clientId: string): ClientAuth => ({ method: "none", clientId })
