/**
 * The `HttpClient` toshi uses on Node: undici, through the proxy the environment names
 * (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, and their lowercase forms) and trusting an extra CA
 * certificate (a corporate TLS-inspecting proxy, a private identity provider) beside the defaults.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type { AuthError } from "@toshi/core"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Undici from "undici"
import * as internal from "./internal/nodeHttp.js"

/**
 * Every field left out is read from the environment (through the current `ConfigProvider`);
 * an empty string turns a proxy setting off.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * A PEM file of CA certificates to trust in addition to the default ones, for the target and
   * for an `https://` proxy. Default: the environment variable `TOSHI_CA_FILE`. (Node's own
   * `NODE_EXTRA_CA_CERTS` is honoured as well.)
   */
  readonly caFile?: string | undefined
  readonly proxy?: {
    /** The proxy for `http://` URLs. Default: `http_proxy` or `HTTP_PROXY`. */
    readonly http?: string | undefined
    /** The proxy for `https://` URLs. Default: `https_proxy` or `HTTPS_PROXY`, else the `http` proxy. */
    readonly https?: string | undefined
    /** Hosts reached directly: comma-separated names, `.suffix`, `host:port`, or `*`. Default: `no_proxy` or `NO_PROXY`. */
    readonly noProxy?: string | undefined
  } | undefined
}

/**
 * The undici dispatcher behind the client, destroyed when the scope closes. A CA file that cannot
 * be read or holds no valid certificate, or a proxy that is not a URL, is a `LoginFailedError`
 * with reason `InvalidConfig`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDispatcher: (
  options?: Options
) => Effect.Effect<Undici.Dispatcher, AuthError.LoginFailedError, Scope.Scope> = internal.makeDispatcher

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Effect.Effect<HttpClient.HttpClient, AuthError.LoginFailedError, Scope.Scope> =
  internal.make

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<HttpClient.HttpClient, AuthError.LoginFailedError> =>
  Layer.scoped(HttpClient.HttpClient, internal.make(options))
