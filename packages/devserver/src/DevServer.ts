/**
 * A real OpenID Connect identity provider on 127.0.0.1, for tests and the demo.
 *
 * It is `oidc-provider` 8.8.1 in-process, with seeded clients and users, second-scale token
 * lifetimes, its own sign-in page and a scripted browser to drive it. Version 8 is pinned on
 * purpose: it supports Node 20, which toshi supports, while `oidc-provider` 9 needs Node 22 or later.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/server.js"

/**
 * Options of {@link start}. Every lifetime is in seconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface DevServerOptions {
  /** Port on 127.0.0.1; default 0, a free port chosen by the system. */
  readonly port?: number
  /** Access token lifetime (JWT `exp - iat` and `expires_in`); default 300, works down to 1. */
  readonly accessTokenTtl?: number
  /** ID token lifetime; default 300. */
  readonly idTokenTtl?: number
  /** Lifetime of each refresh token, counted again from every rotation; default 86400. */
  readonly refreshTokenTtl?: number
  /** Device code lifetime (device authorization grant); default 600. */
  readonly deviceCodeTtl?: number
}

/**
 * The URLs of the server's endpoints, as its discovery document lists them.
 *
 * @since 0.1.0
 * @category models
 */
export interface DevServerEndpoints {
  readonly discovery: string
  readonly token: string
  readonly authorization: string
  readonly deviceAuthorization: string
  readonly jwks: string
  readonly revocation: string
  readonly userinfo: string
  readonly introspection: string
  readonly endSession?: string
}

/**
 * A seeded user. `totpSecret` (base32, RFC 6238 with 30 s steps, 6 digits, SHA-1) means every
 * sign-in of that user needs the current code: compute it with `totp(secret)`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DevServerUser {
  readonly username: string
  readonly password: string
  readonly email: string
  readonly sub: string
  readonly totpSecret?: string
}

/**
 * The seeded clients.
 * - `confidential`: `client_credentials` only, authenticated with `client_secret_basic` or
 *   `client_secret_post`.
 * - `public`: no secret (`none`); authorization code with PKCE S256 (required), `refresh_token`
 *   and the device authorization grant. Its registered redirect URI is
 *   `http://127.0.0.1/callback`, and any `http` loopback URI (127.0.0.1, localhost or [::1], any
 *   port, any path) is accepted, as RFC 8252 section 7.3 asks for native apps.
 * - `password`: the `password` grant (with an optional `totp` parameter) and `refresh_token`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DevServerClients {
  readonly confidential: { readonly clientId: string; readonly clientSecret: string }
  readonly public: { readonly clientId: string; readonly redirectUris: ReadonlyArray<string> }
  readonly password: { readonly clientId: string; readonly clientSecret: string }
}

/**
 * A running server. Token behaviour:
 * - every access token is a JWT (RS256, key in `/jwks`) with `aud` = {@link DevServer.resource} and
 *   the API scopes granted (`read`, `write`): a request without a `resource` parameter gets the API
 *   anyway, as Cognito always does. The userinfo endpoint therefore refuses them (it only takes
 *   tokens without an audience); read the user's claims from the ID token instead.
 * - refresh tokens are issued on every grant of a client allowed `refresh_token`, with or without
 *   `offline_access`, and rotate: using one a second time fails with `invalid_grant` and revokes
 *   its grant.
 * - ID tokens carry the claims of the scopes requested (`email`, `profile`) besides `sub`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DevServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly issuer: string
  readonly endpoints: DevServerEndpoints
  /** The API's resource indicator and the audience of its access tokens: `urn:toshi:api`. */
  readonly resource: string
  readonly clients: DevServerClients
  /** At least a plain user and a user who needs a TOTP code. */
  readonly users: ReadonlyArray<DevServerUser>
  /**
   * Requests served so far, by oidc-provider route name (`token`, `device_authorization`, `jwks`,
   * `discovery`, `authorization`, `code_verification`, ...), plus `interaction` for the sign-in page
   * and the path itself for requests that matched no route.
   */
  readonly counts: () => Record<string, number>
  readonly resetCounts: () => void
  /**
   * Approves a pending device authorization as `username` (default: the first user without TOTP)
   * by walking the real `/device` pages and sign-in page over HTTP. Polling the token endpoint
   * then yields tokens. Fails if the user code is unknown, expired or already used.
   */
  readonly approveDeviceCode: (userCode: string, username?: string) => Promise<void>
  /** Denies a pending device authorization, as a person pressing "cancel": polling then gives `access_denied`. */
  readonly denyDeviceCode: (userCode: string) => Promise<void>
  /**
   * A scripted browser: opens `authorizationUrl`, signs in on the server's page with `login`
   * (`totp` for a TOTP user) or cancels with `deny`, consents to everything requested, follows the
   * redirects inside the issuer and finally GETs the client's redirect URI (which must be a
   * loopback address) once, without following it further. Returns that last response's status and
   * the redirect URI with its `code` and `state` (or `error`). When the walk ends on one of the
   * server's own pages instead (a rejected sign-in: 401; an invalid request: 400), returns that
   * page's status and `location: undefined`.
   */
  readonly browse: (
    authorizationUrl: string,
    login: { readonly username: string; readonly password: string; readonly totp?: string },
    options?: { readonly deny?: boolean }
  ) => Promise<{ readonly status: number; readonly location: string | undefined }>
  /** From now on the token endpoint answers 401 `invalid_client` for this client, whatever it sends. */
  readonly revokeClient: (clientId: string) => void
  /** Undoes {@link DevServer.revokeClient}. */
  readonly restoreClient: (clientId: string) => void
  /**
   * Revokes the grants matching `filter` (all of them without one): their refresh tokens then fail
   * with `invalid_grant`. JWT access tokens already issued stay valid until they expire.
   */
  readonly revokeGrants: (filter?: { readonly clientId?: string; readonly username?: string }) => Promise<void>
  /** Closes the listener and every open connection. */
  readonly stop: () => Promise<void>
}

/**
 * Starts a server on 127.0.0.1 (never another address) with fresh signing keys, cookie keys,
 * client secrets and user passwords.
 *
 * @example
 * const server = await start({ accessTokenTtl: 2 })
 * const response = await fetch(server.endpoints.token, {
 *   method: "POST",
 *   body: new URLSearchParams({
 *     grant_type: "client_credentials",
 *     client_id: server.clients.confidential.clientId,
 *     client_secret: server.clients.confidential.clientSecret,
 *     scope: "read"
 *   })
 * })
 * await server.stop()
 *
 * @since 0.1.0
 * @category constructors
 */
export const start: (options?: DevServerOptions) => Promise<DevServer> = internal.start
