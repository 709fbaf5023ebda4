/**
 * What the current principal may do, checked inside a handler: scopes (`requireScope`) and
 * per-resource decisions (`requireResource`, e.g. "may this principal touch shop 42") through a
 * `ResourcePolicy` the application supplies. Both fail with `AccessDenied` (403), which toshi's
 * `HttpApi` middleware already declares, so handlers behind it need no extra error declaration.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as JwtVerifier from "./JwtVerifier.js"
import * as Scopes from "./internal/scopes.js"
import { CurrentPrincipal, type Principal } from "./Principal.js"
import { AccessDenied } from "./VerifyError.js"

/**
 * A scope test: a scope name, a list of names (any one will do), or a predicate such as
 * `(scope) => scope.endsWith("/api")`.
 *
 * @since 0.1.0
 * @category models
 */
export type ScopeMatcher = Scopes.Matcher

/**
 * Fails with `AccessDenied` unless the current principal holds the scopes: a single name, or
 * `{ allOf, anyOf }`. API keys hold no scopes; limit them with {@link requireResource}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const requireScope = (
  requirement: string | JwtVerifier.ScopeRequirement
): Effect.Effect<Principal, AccessDenied, CurrentPrincipal> =>
  Effect.flatMap(CurrentPrincipal, (principal) => {
    const wanted = typeof requirement === "string" ? { allOf: [requirement] } : requirement
    const missing = principal._tag === "ApiKey"
      ? "an API key holds no scopes"
      : Scopes.missing(principal.scopes, wanted)
    return missing === undefined
      ? Effect.succeed(principal)
      : Effect.fail(new AccessDenied({ reason: "InsufficientScope", description: missing }))
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface ResourcePolicyService {
  /** The application's decision for users, machines without a trusted scope, and unrestricted API keys. */
  readonly check: (principal: Principal, resource: string) => Effect.Effect<boolean>
  /** Machines holding such a scope may touch every resource, without asking `check`. */
  readonly trustedMachineScope?: ScopeMatcher | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ResourcePolicy extends Context.Tag("@toshi/server/ResourcePolicy")<ResourcePolicy, ResourcePolicyService>() {}

/**
 * A policy from a function (plain or effectful).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerResourcePolicy = (
  check: (principal: Principal, resource: string) => boolean | Effect.Effect<boolean>,
  options?: { readonly trustedMachineScope?: ScopeMatcher | undefined }
): Layer.Layer<ResourcePolicy> =>
  Layer.succeed(ResourcePolicy, {
    check: (principal, resource) => {
      const decision = check(principal, resource)
      return typeof decision === "boolean" ? Effect.succeed(decision) : decision
    },
    trustedMachineScope: options?.trustedMachineScope
  })

/**
 * Fails with `AccessDenied` unless the current principal may touch `resource`:
 * - a machine with the policy's trusted scope may touch anything;
 * - an API key created for a resource may touch that resource and what lies under it
 *   (`shop/42` allows `shop/42` and `shop/42/orders`), nothing else, whatever the policy says;
 * - everyone else is up to the policy's `check`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const requireResource = (
  resource: string
): Effect.Effect<Principal, AccessDenied, CurrentPrincipal | ResourcePolicy> =>
  Effect.gen(function*() {
    const principal = yield* CurrentPrincipal
    const policy = yield* ResourcePolicy
    const denied = () => new AccessDenied({ reason: "ResourceDenied", description: `the principal may not touch ${resource}` })
    if (
      principal._tag === "Machine" && policy.trustedMachineScope !== undefined &&
      Scopes.matches(principal.scopes, policy.trustedMachineScope)
    ) {
      return principal
    }
    if (principal._tag === "ApiKey" && principal.resource !== undefined) {
      if (resource === principal.resource || resource.startsWith(`${principal.resource}/`)) return principal
      return yield* denied()
    }
    if (yield* policy.check(principal, resource)) return principal
    return yield* denied()
  })
