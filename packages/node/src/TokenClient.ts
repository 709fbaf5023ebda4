/**
 * toshi for code that does not use Effect: `createTokenClient(options)` returns
 * `{ token(), headers(), fetch(), close() }` over the same engine (one renewal for any number of
 * callers, background refresh, retries, the store's cross-process lock). Options are plain objects;
 * failures are the same error classes (`Error` subclasses with `_tag`, `reason` and the rest).
 *
 * ```ts
 * const client = createTokenClient({
 *   provider: { type: "clientCredentials", issuer: "https://id.example.org", clientId: "svc", clientSecret: process.env.SECRET! },
 *   store: { type: "file", path: "/var/lib/svc/tokens.json" }
 * })
 * const response = await client.fetch("https://api.example.org/things")
 * await client.close()
 * ```
 *
 * @since 0.1.0
 */
import type { AuthError, RefreshContext } from "@toshi/core"
import type { Cognito, External, OAuth2 } from "@toshi/providers"
import * as internal from "./internal/tokenClientLoader.js"
import type * as NodeHttp from "./NodeHttp.js"

/**
 * Where a provider finds the server: an issuer (OIDC discovery, once per process) or the token
 * endpoint itself.
 *
 * @since 0.1.0
 * @category models
 */
export type Endpoint = OAuth2.Endpoint

/**
 * What the grants share.
 *
 * @since 0.1.0
 * @category models
 */
export interface GrantCommon {
  readonly clientId: string
  readonly scope?: ReadonlyArray<string> | undefined
  readonly resource?: string | undefined
  readonly audience?: string | undefined
}

/**
 * How the first token is obtained and renewed.
 *
 * @since 0.1.0
 * @category models
 */
export type ProviderOptions =
  | Endpoint & GrantCommon & {
    readonly type: "clientCredentials"
    readonly clientSecret: string
    /** `basic` (default) or `post`. */
    readonly auth?: "basic" | "post" | undefined
  }
  | Endpoint & GrantCommon & {
    readonly type: "password"
    readonly clientSecret?: string | undefined
    readonly username: string
    readonly password: string
    readonly totp?: (() => string | PromiseLike<string>) | undefined
  }
  | Endpoint & GrantCommon & {
    readonly type: "refreshToken"
    readonly clientSecret?: string | undefined
    readonly refreshToken: string
  }
  | GrantCommon & {
    readonly type: "deviceCode"
    readonly issuer: string
    readonly onPrompt: (prompt: OAuth2.DeviceCodePrompt) => void
  }
  | GrantCommon & {
    readonly type: "authorizationCode"
    readonly issuer: string
    /** Called with the URL before the browser opens. */
    readonly onOpen?: ((url: string) => void) | undefined
  }
  | {
    readonly type: "cognitoPassword"
    readonly region: string
    readonly clientId: string
    readonly clientSecret?: string | undefined
    readonly username: string
    readonly password: string
    readonly endpoint?: string | undefined
  }
  | {
    readonly type: "cognitoOtp"
    readonly region: string
    readonly clientId: string
    readonly username: string
    readonly otp: (challenge: Cognito.OtpChallenge) => string | PromiseLike<string>
    readonly endpoint?: string | undefined
  }
  | {
    readonly type: "cognitoM2m"
    readonly secretArn: string
    readonly domain: string
    readonly scope?: ReadonlyArray<string> | undefined
    /** Another Secrets Manager endpoint or credentials (default: the AWS SDK's chain). */
    readonly secretsManager?: Cognito.M2mOptions["secretsManager"]
  }
  | { readonly type: "apiKey"; readonly apiKey: string; readonly header?: string | undefined }
  | {
    readonly type: "external"
    readonly key: string
    readonly getToken: () => External.Result | null | undefined | PromiseLike<External.Result | null | undefined>
  }

/**
 * Where tokens are kept: in memory (the default), toshi's token file, or the Python tool's
 * credentials file.
 *
 * @since 0.1.0
 * @category models
 */
export type StoreOptions =
  | { readonly type: "memory" }
  | { readonly type: "file"; readonly path: string }
  | { readonly type: "credentials"; readonly path: string }

/**
 * What a hook is told about a renewal.
 *
 * @since 0.1.0
 * @category models
 */
export interface RenewalInfo {
  /** When the new token expires. */
  readonly expiresAt: Date
  readonly scope: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Hooks {
  readonly onRefreshStart?: ((context: RefreshContext.RefreshContext) => void | PromiseLike<void>) | undefined
  readonly onRefreshSuccess?: ((context: RefreshContext.RefreshContext, info: RenewalInfo) => void | PromiseLike<void>) | undefined
  readonly onRefreshFailure?: ((context: RefreshContext.RefreshContext, error: AuthError.AuthError) => void | PromiseLike<void>) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly provider: ProviderOptions
  readonly store?: StoreOptions | undefined
  /** What a renewal that cannot succeed does: `raise` (default) fails the callers, `relogin` runs one full login. */
  readonly policy?: "raise" | "relogin" | undefined
  readonly hooks?: Hooks | undefined
  /** Renew this long before expiry, in the background. Default 5 minutes (at most half a token's life). */
  readonly refreshAheadMs?: number | undefined
  /** Renew in the background (default), or only when a caller needs a token. */
  readonly backgroundRefresh?: boolean | undefined
  /** Proxy and CA settings (default: `HTTPS_PROXY`, `NO_PROXY`, `TOSHI_CA_FILE` from the environment). */
  readonly http?: NodeHttp.Options | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenClient {
  /** A valid access token (or API key). */
  readonly token: () => Promise<string>
  /** The headers that carry it: `{ authorization: "Bearer …" }` or `{ "x-api-key": … }`. */
  readonly headers: () => Promise<Readonly<Record<string, string>>>
  /**
   * `fetch` with the headers added. A 401 renews the token once (however many requests saw it)
   * and sends the request again, once; the second answer is returned as it is.
   */
  readonly fetch: (input: string | URL, init?: RequestInit) => Promise<Response>
  /** Renews now (after an unexpected 401 elsewhere); concurrent calls share one renewal. */
  readonly forceRefresh: () => Promise<void>
  /** Stops the background renewal and closes connections; the process can then exit by itself. */
  readonly close: () => Promise<void>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const createTokenClient: (options: Options) => TokenClient = internal.create
