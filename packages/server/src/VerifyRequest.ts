/**
 * `verifyRequest(headers)` for Node servers that do not use Effect (plain `node:http`, Express,
 * Fastify, a fetch handler): the same checks as the `HttpApi` middleware, behind a Promise that
 * resolves to the principal or to the status and error to answer with. It never rejects for a bad
 * credential.
 *
 * A token signed by a key already loaded is checked in plain code (the Effect runtime is entered
 * only to fetch keys or to reach the API key database), since crossing into the runtime costs more
 * than the rest of a cached check.
 *
 * @example
 * const auth = await VerifyRequest.make({
 *   verifier: JwtVerifier.cognito({ region, userPoolId, clientIds: [appClientId], tokenUse: "access" }),
 *   machineScope: (scope) => scope.endsWith("/api")
 * })
 * http.createServer(async (req, res) => {
 *   const result = await auth.verifyRequest(req.headers)
 *   if (!result.ok) return res.writeHead(result.status, result.headers).end(result.error.message)
 *   res.end(`hello ${Principal.describe(result.principal)}`)
 * })
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as ApiKeys from "./ApiKeys.js"
import type * as HttpApiAuth from "./HttpApiAuth.js"
import * as Authenticate from "./internal/authenticate.js"
import { UnknownKid } from "./internal/engine.js"
import { syncPath } from "./internal/jwtVerifier.js"
import * as JwtVerifier from "./JwtVerifier.js"
import type { Principal } from "./Principal.js"
import * as VerifyError from "./VerifyError.js"

/**
 * Request headers as Node gives them (`req.headers`), as a plain record, or a fetch `Headers`.
 *
 * @since 0.1.0
 * @category models
 */
export type IncomingHeaders =
  | Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  | { readonly get: (name: string) => string | null }

/**
 * @since 0.1.0
 * @category models
 */
export type Result =
  | { readonly ok: true; readonly principal: Principal }
  | {
    readonly ok: false
    readonly status: 401 | 403 | 500 | 503
    readonly error: VerifyError.VerifyError
    /** Headers to answer with: `WWW-Authenticate` for 401 and 403 (RFC 6750 §3). */
    readonly headers: Readonly<Record<string, string>>
  }

/**
 * @since 0.1.0
 * @category models
 */
export interface RequestVerifier {
  readonly verifyRequest: (headers: IncomingHeaders) => Promise<Result>
  /** Stops the background JWKS refresh and closes the API key database, when this verifier owns them. */
  readonly dispose: () => Promise<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends HttpApiAuth.Options {
  readonly verifier: JwtVerifier.Options | ReadonlyArray<JwtVerifier.Options>
  /** Accept API keys from a SQLite store as well (`X-API-Key`, or `Bearer {prefix}_…`). */
  readonly apiKeys?: (ApiKeys.Options & { readonly sqlite: string }) | undefined
}

const header = (headers: IncomingHeaders, name: string): string | undefined | null => {
  if (typeof headers.get === "function") return (headers.get as (name: string) => string | null)(name) ?? undefined
  const record = headers as Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  let value = record[name]
  if (value === undefined) {
    // Node lower-cases header names; a hand-built record may not have.
    for (const key of Object.keys(record)) if (key.toLowerCase() === name) value = record[key]
  }
  if (value === undefined || typeof value === "string") return value
  // Two credentials of one kind in one request is not something to guess about.
  return value.length === 1 ? value[0] : value.length === 0 ? undefined : null
}

const failure = (error: VerifyError.VerifyError): Result => {
  const challenge = VerifyError.wwwAuthenticate(error)
  return {
    ok: false,
    status: VerifyError.status(error),
    error,
    headers: challenge === undefined ? {} : { "www-authenticate": challenge }
  }
}

const duplicated = () =>
  failure(new VerifyError.InvalidToken({ reason: "Malformed", description: "the request repeats a credential header" }))

/**
 * A request verifier over a runtime that provides a `JwtVerifier` and, optionally, `ApiKeys`
 * (then API keys are accepted too). The runtime stays the caller's: `dispose` does not close it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRuntime = async <R extends JwtVerifier.JwtVerifier, E>(
  runtime: ManagedRuntime.ManagedRuntime<R, E>,
  options: HttpApiAuth.Options = {}
): Promise<RequestVerifier> => {
  const exit = await runtime.runPromiseExit(
    // `R` includes `JwtVerifier` by its bound; the compiler cannot see that a subtype does too.
    Effect.all({ verifier: JwtVerifier.JwtVerifier, apiKeys: Effect.serviceOption(ApiKeys.ApiKeys) }) as Effect.Effect<
      { verifier: JwtVerifier.JwtVerifierService; apiKeys: Option.Option<ApiKeys.ApiKeysService> },
      never,
      R
    >
  )
  // Reject with the typed error itself (e.g. `JwksUnavailable` at start-up), not a wrapper.
  if (Exit.isFailure(exit)) throw Cause.squash(exit.cause)
  const services = exit.value
  const verifier = services.verifier
  const apiKeys = Option.getOrUndefined(services.apiKeys)
  const authenticator = Authenticate.make({ verifier, apiKeys, settings: options })
  const sync = syncPath(verifier)

  const slow = (credentials: Authenticate.Credentials): Promise<Result> =>
    runtime.runPromiseExit(authenticator.credentials(credentials)).then((exit) => {
      if (Exit.isSuccess(exit)) return { ok: true, principal: exit.value }
      const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
      if (VerifyError.isVerifyError(error)) return failure(error)
      throw new Error("verifyRequest: the check did not complete", { cause: exit.cause })
    })

  const verifyRequest = (headers: IncomingHeaders): Promise<Result> => {
    const authorization = header(headers, "authorization")
    const apiKey = apiKeys === undefined ? undefined : header(headers, "x-api-key")
    if (authorization === null || apiKey === null) return Promise.resolve(duplicated())
    const credentials = { authorization, apiKey }
    if (apiKey !== undefined && apiKey !== "") return slow(credentials)
    const token = Authenticate.bearer(authorization, apiKeys !== undefined)
    if (typeof token !== "string") return Promise.resolve(failure(token))
    if (sync === undefined || (apiKeys !== undefined && apiKeys.looksLikeKey(token))) return slow(credentials)
    const outcome = sync(token, Date.now(), options.expectations)
    if (outcome instanceof UnknownKid) return slow(credentials)
    if (outcome instanceof VerifyError.InvalidToken || outcome instanceof VerifyError.AccessDenied) {
      return Promise.resolve(failure(outcome))
    }
    const principal = Authenticate.principalOf(outcome, options)
    return Promise.resolve(principal instanceof VerifyError.AccessDenied ? failure(principal) : { ok: true, principal })
  }

  return { verifyRequest, dispose: () => Promise.resolve() }
}

/**
 * A request verifier from plain options: it fetches the JWKS with `fetch` and, with `apiKeys`,
 * opens its SQLite store. Resolves once every JWKS is loaded, and rejects (with the
 * `JwksUnavailable` or `VerifierMisconfigured`) if one cannot be: a server should not start
 * accepting requests it cannot check.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = async (options: Options): Promise<RequestVerifier> => {
  const { apiKeys, verifier, ...settings } = options
  const verifierLayer = JwtVerifier.layer(verifier).pipe(Layer.provide(FetchHttpClient.layer))
  const layer = apiKeys === undefined
    ? verifierLayer
    : Layer.merge(verifierLayer, ApiKeys.layerSqlite(apiKeys.sqlite, apiKeys))
  const runtime = ManagedRuntime.make(layer as Layer.Layer<JwtVerifier.JwtVerifier, unknown>)
  try {
    const inner = await fromRuntime(runtime, settings)
    return { verifyRequest: inner.verifyRequest, dispose: () => runtime.dispose() }
  } catch (error) {
    await runtime.dispose()
    throw error
  }
}
