import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { AuthError, Jwt, TokenSet } from "@toshi/core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { ClientAuth } from "../ClientAuth.js"

/** Whether a request is part of a first login or of renewing a session: it decides the error type. */
export type Phase = "login" | "refresh"

/** Why a request failed, before the phase gives it its error type. */
type FailureReason =
  | "InvalidGrant"
  | "InvalidClient"
  | "InvalidScope"
  | "AccessDenied"
  | "Expired"
  | "Unsupported"
  | "Rejected"
  | "InvalidConfig"
  | "InvalidIdToken"
  | "InvalidResponse"
  | "Transport"
  | "Timeout"
  | "ServerError"
  | "RateLimited"
  | "MissingPackage"

/** @internal */
export interface Failure {
  readonly reason: FailureReason
  readonly description: string
  readonly retryAfter?: Duration.Duration | undefined
  readonly oauth?: AuthError.OAuthErrorResponse | undefined
  readonly cause?: unknown
}

const loginReason = (reason: FailureReason): AuthError.LoginFailedError["reason"] =>
  reason === "InvalidGrant" ? "InvalidCredentials" : reason === "Rejected" ? "AccessDenied" : reason

const refreshReason = (reason: FailureReason): AuthError.RefreshFailedError["reason"] =>
  reason === "Expired"
    ? "InvalidGrant"
    : reason === "AccessDenied" || reason === "InvalidScope" || reason === "Unsupported"
    ? "Rejected"
    : reason

/**
 * A failure as the phase's error: `LoginFailedError` for a first grant, `RefreshFailedError` for
 * a renewal.
 *
 * @internal
 */
export const toError = (phase: Phase, failure: Failure): AuthError.LoginFailedError | AuthError.RefreshFailedError => {
  const common = {
    description: failure.description,
    ...(failure.retryAfter === undefined ? {} : { retryAfter: failure.retryAfter }),
    ...(failure.oauth === undefined ? {} : { oauth: failure.oauth }),
    ...(failure.cause === undefined ? {} : { cause: failure.cause })
  }
  return phase === "refresh"
    ? new AuthError.RefreshFailedError({ reason: refreshReason(failure.reason), ...common })
    : new AuthError.LoginFailedError({ reason: loginReason(failure.reason), ...common })
}

const isLoopback = (host: string) =>
  host === "localhost" || host === "[::1]" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host)

/**
 * Endpoints must use HTTPS; plain HTTP only on this machine's loopback addresses.
 *
 * @internal
 */
export const checkEndpoint = (phase: Phase, what: string, url: string): Effect.Effect<URL, AuthError.LoginFailedError | AuthError.RefreshFailedError> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Effect.fail(toError(phase, { reason: "InvalidConfig", description: `the ${what} is not a URL: ${JSON.stringify(url)}` }))
  }
  if (parsed.protocol === "https:" || (parsed.protocol === "http:" && isLoopback(parsed.hostname))) return Effect.succeed(parsed)
  return Effect.fail(toError(phase, {
    reason: "InvalidConfig",
    description: `the ${what} must use https (plain http is allowed on loopback addresses only): ${parsed.origin}`
  }))
}

/**
 * A short piece of a body for an error message, with anything that looks like a token cut out:
 * a garbled token response must not leak what it was carrying.
 *
 * @internal
 */
export const excerpt = (body: string): string => {
  const flat = body.replace(/\s+/g, " ").trim().replace(/[A-Za-z0-9_\-.~+/=]{24,}/g, "…")
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat
}

/** Seconds or an HTTP date, as `Retry-After` allows (RFC 9110 §10.2.3). */
const parseRetryAfter = (value: string | undefined, now: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  if (/^\d+$/.test(value.trim())) return Duration.seconds(Number(value.trim()))
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Duration.millis(Math.max(at - now, 0))
}

const OAuthErrorBody = Schema.Struct({
  error: Schema.String,
  error_description: Schema.optional(Schema.String)
})

const NumberLike = Schema.Union(Schema.Number, Schema.NumberFromString)

/**
 * A successful token response (RFC 6749 §5.1), plus the `refresh_expires_in` some servers add.
 *
 * @internal
 */
export const TokenResponse = Schema.Struct({
  access_token: Schema.String.pipe(Schema.minLength(1)),
  token_type: Schema.String,
  expires_in: Schema.optional(NumberLike),
  refresh_token: Schema.optional(Schema.String),
  refresh_expires_in: Schema.optional(NumberLike),
  id_token: Schema.optional(Schema.String),
  scope: Schema.optional(Schema.String)
})

/** @internal */
export type TokenResponse = typeof TokenResponse.Type

const decodeOAuthError = Schema.decodeUnknownEither(OAuthErrorBody)

const oauthReasons: Record<string, FailureReason> = {
  invalid_grant: "InvalidGrant",
  invalid_client: "InvalidClient",
  unauthorized_client: "InvalidClient",
  invalid_scope: "InvalidScope",
  access_denied: "AccessDenied",
  expired_token: "Expired",
  unsupported_grant_type: "Unsupported",
  invalid_request: "InvalidConfig",
  temporarily_unavailable: "ServerError",
  server_error: "ServerError"
}

// What a login's error adds to the server's words. A renewal's `RefreshFailedError` says what to do
// in its own message, and so does any `InvalidClient` error, so neither takes these.
const oauthAdvice: Partial<Record<FailureReason, string>> = {
  InvalidGrant: "the grant was refused (wrong credentials, or an expired or revoked code or refresh token)",
  InvalidScope: "a requested scope is not allowed for this client",
  Unsupported: "the server does not allow this grant type for this client"
}

/** @internal */
export interface TokenRequest {
  /** Names the endpoint in messages, e.g. "token endpoint". */
  readonly what?: string | undefined
  readonly endpoint: string
  readonly auth: ClientAuth
  readonly params: Readonly<Record<string, string | undefined>>
  readonly timeout: Duration.DurationInput
  readonly phase: Phase
}

/**
 * Posts a grant to a token endpoint and decodes the answer. Every outcome is typed: a token
 * response, an OAuth error (with `error` and `error_description`), or what went wrong on the way
 * (network, timeout, 5xx, 429 with `Retry-After`, a body that is not a token response).
 *
 * @internal
 */
export const requestToken = (request: TokenRequest) => postForm(request, TokenResponse, "a token response")

/**
 * Posts a form with the client's authentication and decodes a JSON answer with `schema`.
 *
 * @internal
 */
export const postForm = <A, I>(
  request: TokenRequest,
  schema: Schema.Schema<A, I>,
  expected: string,
  options: { readonly emptyBody?: A } = {}
) =>
  Effect.gen(function*() {
    const url = yield* checkEndpoint(request.phase, request.what ?? "token endpoint", request.endpoint)
    const params: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.params)) if (value !== undefined) params[name] = value
    let httpRequest = HttpClientRequest.post(url).pipe(HttpClientRequest.acceptJson)
    switch (request.auth.method) {
      case "client_secret_basic": {
        // RFC 6749 §2.3.1: both parts are form-encoded before they are joined and base64-encoded.
        const credentials = `${formEncode(request.auth.clientId)}:${formEncode(Redacted.value(request.auth.clientSecret))}`
        httpRequest = HttpClientRequest.setHeader(httpRequest, "authorization", `Basic ${btoa(credentials)}`)
        break
      }
      case "client_secret_post":
        params["client_id"] = request.auth.clientId
        params["client_secret"] = Redacted.value(request.auth.clientSecret)
        break
      case "none":
        params["client_id"] = request.auth.clientId
    }
    httpRequest = HttpClientRequest.bodyUrlParams(httpRequest, params)

    const response = yield* send(httpRequest, url, request)
    // Some endpoints (revocation, RFC 7009 §2.2) answer success with nothing at all.
    if ("emptyBody" in options && response.response.status >= 200 && response.response.status < 300 && response.body.trim() === "") {
      return options.emptyBody as A
    }
    return yield* interpret(request.phase, url, response.response, response.body, Schema.decodeUnknownEither(schema), expected)
  })

/** Sends a request and reads the whole body, within the timeout; a network failure is typed. */
const send = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  options: { readonly phase: Phase; readonly timeout: Duration.DurationInput }
) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(request).pipe(
      Effect.flatMap((response) => Effect.map(response.text, (body) => ({ response, body }))),
      Effect.timeoutFail({
        duration: options.timeout,
        onTimeout: () =>
          toError(options.phase, {
            reason: "Timeout",
            description: `${url.origin} did not answer within ${Duration.format(Duration.decode(options.timeout))}`
          })
      }),
      Effect.catchTag("RequestError", "ResponseError", (cause) =>
        Effect.fail(
          toError(options.phase, { reason: "Transport", description: `could not reach ${url.origin}: ${cause.message}`, cause })
        )),
      Effect.scoped
    ))

/**
 * GETs a JSON document (discovery metadata, a JWKS) and decodes it with `schema`.
 *
 * @internal
 */
export const getJson = <A, I>(options: {
  readonly url: string
  readonly what: string
  readonly phase: Phase
  readonly timeout: Duration.DurationInput
}, schema: Schema.Schema<A, I>, expected: string) =>
  Effect.gen(function*() {
    const url = yield* checkEndpoint(options.phase, options.what, options.url)
    const { body, response } = yield* send(HttpClientRequest.get(url).pipe(HttpClientRequest.acceptJson), url, options)
    return yield* interpret(options.phase, url, response, body, Schema.decodeUnknownEither(schema), expected)
  })

const interpret = <A>(
  phase: Phase,
  url: URL,
  response: HttpClientResponse.HttpClientResponse,
  body: string,
  decode: (u: unknown) => Either.Either<A, ParseResult.ParseError>,
  expected: string
): Effect.Effect<A, AuthError.LoginFailedError | AuthError.RefreshFailedError> => {
  const status = response.status
  const fail = (failure: Failure) => Effect.fail(toError(phase, failure))
  const json = Either.try(() => JSON.parse(body) as unknown)
  if (status >= 200 && status < 300) {
    if (Either.isLeft(json)) {
      return fail({ reason: "InvalidResponse", description: `${url.origin} answered ${status} with a body that is not JSON: "${excerpt(body)}"` })
    }
    return Either.match(decode(json.right), {
      onLeft: (error) =>
        fail({
          reason: "InvalidResponse",
          description: `${url.origin} answered ${status} with JSON that is not ${expected}: ${
            ParseResult.TreeFormatter.formatErrorSync(error).split("\n").slice(0, 3).join(" ")
          }`
        }),
      onRight: Effect.succeed
    })
  }
  const retryAfter = parseRetryAfter(response.headers["retry-after"], Date.now())
  const oauth = Either.isRight(json) ? Either.getRight(decodeOAuthError(json.right)) : Option.none()
  if (Option.isSome(oauth)) {
    const { error, error_description } = oauth.value
    const reason = status === 429 ? "RateLimited" : oauthReasons[error] ?? (status >= 500 ? "ServerError" : "Rejected")
    const advice = phase === "refresh" ? undefined : oauthAdvice[reason]
    return fail({
      reason,
      description: `${error}${error_description === undefined ? "" : `: ${error_description}`}${advice === undefined ? "" : ` (${advice})`}`,
      oauth: { status, error, ...(error_description === undefined ? {} : { errorDescription: error_description }) },
      retryAfter
    })
  }
  const what = `${url.origin} answered ${status}${body.trim() === "" ? " with an empty body" : `: "${excerpt(body)}"`}`
  if (status === 429) return fail({ reason: "RateLimited", description: what, retryAfter })
  if (status >= 500) return fail({ reason: "ServerError", description: what, retryAfter })
  return fail({ reason: "InvalidResponse", description: `${what} (not an OAuth error response: check the endpoint URL)` })
}

/**
 * A token set from a token response. Without `expires_in`, a JWT access token's own `exp` counts;
 * without either, `fallbackLifetime`.
 *
 * Lifetimes count from `sentAt`, when the request left: the server started its clock somewhere
 * between then and its answer, so counting from the answer (or from after the ID token's check,
 * which may fetch keys) would believe a token valid for longer than the server meant.
 *
 * @internal
 */
export const toTokenSet = (response: TokenResponse, options: {
  readonly sentAt: DateTime.Utc
  readonly requestedScope?: ReadonlyArray<string> | undefined
  readonly fallbackLifetime?: Duration.DurationInput | undefined
}): TokenSet.TokenSet => {
  const expiresAt = response.expires_in !== undefined
    ? DateTime.addDuration(options.sentAt, Duration.seconds(response.expires_in))
    : Option.getOrElse(
      Jwt.unverifiedExpiry(response.access_token),
      () => DateTime.addDuration(options.sentAt, options.fallbackLifetime ?? Duration.hours(1))
    )
  // RFC 6749 §5.1: a server that grants exactly the requested scope may leave `scope` out.
  // An empty `scope` is read as none at all: some servers send "" rather than leave it out.
  const granted = response.scope?.split(" ").filter((s) => s !== "") ?? []
  const scope = granted.length > 0 ? granted : options.requestedScope ?? []
  return TokenSet.make({
    accessToken: Redacted.make(response.access_token),
    // The scheme is case-insensitive; servers answer "bearer" as often as "Bearer".
    tokenType: response.token_type.toLowerCase() === "bearer" ? "Bearer" : response.token_type,
    issuedAt: options.sentAt,
    expiresAt,
    scope,
    ...(response.refresh_token === undefined ? {} : { refreshToken: Redacted.make(response.refresh_token) }),
    ...(response.refresh_expires_in === undefined || response.refresh_expires_in <= 0
      ? {}
      : { refreshExpiresAt: DateTime.addDuration(options.sentAt, Duration.seconds(response.refresh_expires_in)) }),
    ...(response.id_token === undefined ? {} : { idToken: Redacted.make(response.id_token) })
  })
}

const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+")
