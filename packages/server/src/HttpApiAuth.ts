/**
 * Security middleware for `@effect/platform` `HttpApi`: add `AuthRequired` (bearer tokens of users
 * and machines) or `AuthRequiredAny` (an API key first, then bearer tokens) to an API, group or
 * endpoint, provide its layer, and every handler behind it can read `CurrentPrincipal`. Failures
 * answer 401, 403, 503 or 500 with a JSON body naming the reason.
 *
 * @example
 * class Api extends HttpApi.make("api").add(Shops.middleware(HttpApiAuth.AuthRequired)) {}
 * const AuthLive = HttpApiAuth.layerAuthRequired({ machineScope: (scope) => scope.endsWith("/api") }).pipe(
 *   Layer.provide(JwtVerifier.layer(JwtVerifier.cognito({ region, userPoolId, clientIds, tokenUse: "access" }))),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * @since 0.1.0
 */
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ApiKeys from "./ApiKeys.js"
import * as Authenticate from "./internal/authenticate.js"
import * as JwtVerifier from "./JwtVerifier.js"
import { CurrentPrincipal, type Principal } from "./Principal.js"
import { VerifyError } from "./VerifyError.js"

/**
 * The options of both middleware.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Machine (client-credentials) tokens are accepted only when they hold a scope this matches,
   * e.g. `(scope) => scope.endsWith("/api")`. Without it, machine tokens are refused (403).
   */
  readonly machineScope?: Authenticate.Settings["machineScope"]
  /** Asked of every token, e.g. `{ tokenUse: "access" }` or `{ scopes: { anyOf: ["read"] } }`. */
  readonly expectations?: JwtVerifier.Expectations | undefined
}

/**
 * Requires `Authorization: Bearer <token>` with a token of a user or of a machine holding the
 * configured scope.
 *
 * @since 0.1.0
 * @category tags
 */
export class AuthRequired extends HttpApiMiddleware.Tag<AuthRequired>()("@toshi/server/HttpApiAuth/AuthRequired", {
  failure: VerifyError,
  provides: CurrentPrincipal,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/**
 * Requires an API key (`X-API-Key: <key>`, or `Authorization: Bearer {prefix}_…`) or, failing
 * that, a bearer token as {@link AuthRequired} does.
 *
 * @since 0.1.0
 * @category tags
 */
export class AuthRequiredAny extends HttpApiMiddleware.Tag<AuthRequiredAny>()("@toshi/server/HttpApiAuth/AuthRequiredAny", {
  failure: VerifyError,
  provides: CurrentPrincipal,
  security: {
    apiKey: HttpApiSecurity.apiKey({ key: "X-API-Key", in: "header" }),
    bearer: HttpApiSecurity.bearer
  }
}) {}

type Outcome = Exit.Exit<Principal, Authenticate.Failure>

/**
 * `HttpApi` tries each security scheme in turn until one succeeds, and reports the last failure.
 * Every scheme here reads both headers itself, and the outcome is remembered per request, so the
 * request is checked once and the failure reported is the one that matters (a revoked API key,
 * not a missing bearer token).
 */
const handler = (authenticator: Authenticate.Authenticator) => {
  const outcomes = new WeakMap<HttpServerRequest.HttpServerRequest, Outcome>()
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request): Effect.Effect<Principal, Authenticate.Failure> => {
    const known = outcomes.get(request)
    if (known !== undefined) return known
    return authenticator.credentials({
      authorization: request.headers["authorization"],
      apiKey: request.headers["x-api-key"]
    }).pipe(
      Effect.exit,
      Effect.tap((exit) => Effect.sync(() => outcomes.set(request, exit))),
      Effect.flatten
    )
  })
}

/**
 * The implementation of {@link AuthRequired}, over the `JwtVerifier` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerAuthRequired = (options: Options = {}): Layer.Layer<AuthRequired, never, JwtVerifier.JwtVerifier> =>
  Layer.effect(
    AuthRequired,
    Effect.map(JwtVerifier.JwtVerifier, (verifier) => {
      const check = handler(Authenticate.make({ verifier, settings: options }))
      return AuthRequired.of({ bearer: () => check })
    })
  )

/**
 * The implementation of {@link AuthRequiredAny}, over the `JwtVerifier` and `ApiKeys` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerAuthRequiredAny = (
  options: Options = {}
): Layer.Layer<AuthRequiredAny, never, JwtVerifier.JwtVerifier | ApiKeys.ApiKeys> =>
  Layer.effect(
    AuthRequiredAny,
    Effect.gen(function*() {
      const verifier = yield* JwtVerifier.JwtVerifier
      const apiKeys = yield* ApiKeys.ApiKeys
      const check = handler(Authenticate.make({ verifier, apiKeys, settings: options }))
      return AuthRequiredAny.of({ apiKey: () => check, bearer: () => check })
    })
  )
