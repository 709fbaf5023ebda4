/**
 * What to do when a token cannot be renewed: `Raise` the error to the program (daemons, so their
 * supervisor restarts them), or `Relogin` with a full grant (interactive users).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AuthError } from "./AuthError.js"
import type { RefreshContext } from "./RefreshContext.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Decision = "Raise" | "Relogin"

/**
 * @since 0.1.0
 * @category models
 */
export interface RefreshPolicyService {
  readonly onRefreshFailure: (context: RefreshContext, error: AuthError) => Effect.Effect<Decision>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RefreshPolicy extends Context.Tag("@toshi/core/RefreshPolicy")<RefreshPolicy, RefreshPolicyService>() {}

/**
 * A policy from a function that decides, plainly or as an Effect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  decide: (context: RefreshContext, error: AuthError) => Decision | Effect.Effect<Decision>
): RefreshPolicyService => ({
  onRefreshFailure: (context, error) => {
    const decision = decide(context, error)
    return Effect.isEffect(decision) ? decision : Effect.succeed(decision)
  }
})

/**
 * A terminal failure reaches the program as the error (a `RefreshFailedError` for a renewal).
 *
 * @since 0.1.0
 * @category constructors
 */
export const raise: RefreshPolicyService = make(() => "Raise")

/**
 * A terminal failure starts one full `acquire` (which may prompt a person); if that fails too, its
 * error reaches the caller.
 *
 * @since 0.1.0
 * @category constructors
 */
export const relogin: RefreshPolicyService = make(() => "Relogin")

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (policy: RefreshPolicyService): Layer.Layer<RefreshPolicy> => Layer.succeed(RefreshPolicy, policy)
