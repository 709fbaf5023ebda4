/**
 * Whether an API can be reached, with and without credentials: one request to a public endpoint
 * through the plain `HttpClient` and one to an authenticated endpoint through the
 * `AuthenticatedHttpClient`, each reported with its status and latency. Telling the two apart
 * separates "the network or the API is down" from "the API is up but refuses us".
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { AuthError } from "@toshi/core"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import { AuthenticatedHttpClient } from "./AuthenticatedHttpClient.js"
import { describeCause } from "./internal/httpText.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Checked with the plain `HttpClient`, without credentials. */
  readonly publicUrl: string
  /** Checked with the `AuthenticatedHttpClient`: a token is fetched (or renewed) first. */
  readonly authenticatedUrl: string
  /** How long each check may take, token included. Default 10 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The outcome of one check.
 *
 * @since 0.1.0
 * @category models
 */
export interface EndpointHealth {
  readonly url: string
  /** The endpoint answered with an HTTP status, whichever it was. */
  readonly reachable: boolean
  /** It answered with a 2xx status. */
  readonly ok: boolean
  /** The status it answered with, when it answered. */
  readonly status?: number
  /** From the start of the check to the response's headers (or to the failure), measured by the `Clock`. */
  readonly latencyMs: number
  /** Why it is not ok: the transport error, the timeout, the credentials, or the status. */
  readonly error?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface HealthReport {
  readonly public: EndpointHealth
  readonly authenticated: EndpointHealth
  /** Both endpoints answered with a 2xx status. */
  readonly ok: boolean
}

/**
 * Checks both endpoints at once with a GET each. It never fails: an endpoint that cannot be reached,
 * does not answer in time or refuses the credentials is reported as such.
 *
 * @example
 * ```ts
 * const report = yield* Health.checkHealth({
 *   publicUrl: "https://api.example.com/health",
 *   authenticatedUrl: "https://api.example.com/me"
 * })
 * if (!report.authenticated.ok) yield* Effect.logWarning(report.authenticated.error)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkHealth = (
  options: Options
): Effect.Effect<HealthReport, never, HttpClient.HttpClient | AuthenticatedHttpClient> =>
  Effect.gen(function*() {
    const timeout = Duration.decode(options.timeout ?? defaultTimeout)
    const plain = yield* HttpClient.HttpClient
    const authenticated = yield* AuthenticatedHttpClient
    const [publicHealth, authenticatedHealth] = yield* Effect.all([
      check(plain, options.publicUrl, timeout),
      check(authenticated, options.authenticatedUrl, timeout)
    ], { concurrency: 2 })
    return { public: publicHealth, authenticated: authenticatedHealth, ok: publicHealth.ok && authenticatedHealth.ok }
  }).pipe(Effect.withSpan("Health.checkHealth"))

const defaultTimeout = Duration.seconds(10)

/** A failure of either client, told apart by its tag. */
type Failure = { readonly _tag: string; readonly message: string; readonly status?: number }

const check = <E extends Failure>(
  client: HttpClient.HttpClient.With<E>,
  url: string,
  timeout: Duration.Duration
): Effect.Effect<EndpointHealth> =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeNanos
    const outcome = yield* client.get(url).pipe(
      Effect.timeoutFail({ duration: timeout, onTimeout: () => new TimedOut({ timeout }) }),
      Effect.either
    )
    const latencyMs = Number((yield* Clock.currentTimeNanos) - start) / 1_000_000
    if (Either.isRight(outcome)) {
      const response = outcome.right
      yield* release(response)
      const ok = response.status >= 200 && response.status < 300
      return ok
        ? { url, reachable: true, ok, status: response.status, latencyMs }
        : { url, reachable: true, ok, status: response.status, latencyMs, error: `answered with status ${response.status}` }
    }
    const error = outcome.left
    // A refused token is an answer: the endpoint is there, it just does not accept us.
    if (error._tag === "UnauthorizedError" && error.status !== undefined) {
      return { url, reachable: true, ok: false, status: error.status, latencyMs, error: error.message }
    }
    return { url, reachable: false, ok: false, latencyMs, error: describe(error) }
  })

class TimedOut {
  readonly _tag = "TimedOut"
  constructor(readonly options: { readonly timeout: Duration.Duration }) {}
  get message() {
    return `no answer within ${Duration.format(this.options.timeout)}`
  }
}

const describe = (error: Failure): string =>
  AuthError.isAuthError(error)
    ? `no request sent, the credentials could not be obtained: ${error.message}`
    : describeCause(error)

/**
 * Reads at most the first chunk of the body: the status is all a check needs, and a body left
 * unread would hold its connection until the garbage collector found it.
 */
const release = (response: HttpClientResponse.HttpClientResponse) =>
  response.stream.pipe(Stream.take(1), Stream.runDrain, Effect.timeout("1 second"), Effect.ignore)
