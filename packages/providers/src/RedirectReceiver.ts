/**
 * Where an authorization server sends the browser back to (RFC 8252 §7.3): a loopback listener on
 * 127.0.0.1, bound before the browser opens. `@toshi/node` implements it.
 *
 * @since 0.1.0
 */
import type { AuthError } from "@toshi/core"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/**
 * @since 0.1.0
 * @category models
 */
export interface ListenOptions {
  /** The port to try first; the next ones are tried when it is taken (10 in all). Default: any free port. */
  readonly port?: number | undefined
  /** The callback path. Default `/callback`. */
  readonly path?: string | undefined
}

/**
 * A listening receiver. It stops listening when its scope closes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Receiver {
  /** `http://127.0.0.1:<port><path>`: the `redirect_uri` to send. */
  readonly redirectUri: string
  /** The query parameters of the first request to the callback path. */
  readonly callback: Effect.Effect<URLSearchParams>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RedirectReceiverService {
  readonly listen: (options?: ListenOptions) => Effect.Effect<Receiver, AuthError.LoginFailedError, Scope.Scope>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RedirectReceiver extends Context.Tag("@toshi/providers/RedirectReceiver")<
  RedirectReceiver,
  RedirectReceiverService
>() {}
