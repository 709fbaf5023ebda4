/**
 * How a first token is obtained and, optionally, renewed. Everything toshi can log in with
 * (OAuth 2.0 grants, Cognito, API keys, your own function) is one of these.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AuthError } from "./AuthError.js"
import type { TokenSet } from "./TokenSet.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthProviderService {
  /** Names the identity in the token store, e.g. `"oauth2:https://issuer#client"`. */
  readonly key: string
  /** A full grant: may prompt a person (device code, OTP) or use a stored secret. */
  readonly acquire: Effect.Effect<TokenSet, AuthError>
  /** Renews with the current set's refresh token. Absent: renewal runs `acquire` again. */
  readonly refresh?: ((current: TokenSet) => Effect.Effect<TokenSet, AuthError>) | undefined
  /** The request headers that carry a token; default `{ authorization: tokens.authorizationHeader }`. */
  readonly headers?: ((tokens: TokenSet) => Readonly<Record<string, string>>) | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class AuthProvider extends Context.Tag("@toshi/core/AuthProvider")<AuthProvider, AuthProviderService>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (service: AuthProviderService): AuthProviderService => service

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (service: AuthProviderService): Layer.Layer<AuthProvider> => Layer.succeed(AuthProvider, service)

/**
 * The headers a provider sends with a token set.
 *
 * @since 0.1.0
 * @category accessors
 */
export const headersFor = (provider: AuthProviderService, tokens: TokenSet): Readonly<Record<string, string>> =>
  provider.headers === undefined ? { authorization: tokens.authorizationHeader } : provider.headers(tokens)
