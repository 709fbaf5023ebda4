/**
 * Callbacks around every refresh attempt: start, then success or failure, exactly once each. For
 * logs, metrics and notices ("renewing your session…").
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AuthError } from "./AuthError.js"
import type { RefreshContext } from "./RefreshContext.js"
import type { TokenSet } from "./TokenSet.js"

/**
 * A hook that fails fails its refresh attempt; `onRefreshFailure` still sees the original error.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshHooksService {
  readonly onRefreshStart: (context: RefreshContext) => Effect.Effect<void, unknown>
  readonly onRefreshSuccess: (context: RefreshContext, tokens: TokenSet) => Effect.Effect<void, unknown>
  readonly onRefreshFailure: (context: RefreshContext, error: AuthError) => Effect.Effect<void, unknown>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RefreshHooks extends Context.Tag("@toshi/core/RefreshHooks")<RefreshHooks, RefreshHooksService>() {}

/**
 * Hooks from any subset of the three callbacks.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (hooks: Partial<RefreshHooksService>): RefreshHooksService => ({
  onRefreshStart: hooks.onRefreshStart ?? (() => Effect.void),
  onRefreshSuccess: hooks.onRefreshSuccess ?? (() => Effect.void),
  onRefreshFailure: hooks.onRefreshFailure ?? (() => Effect.void)
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (hooks: Partial<RefreshHooksService>): Layer.Layer<RefreshHooks> =>
  Layer.succeed(RefreshHooks, make(hooks))

/**
 * @since 0.1.0
 * @category layers
 */
export const layerNoop: Layer.Layer<RefreshHooks> = layer({})
