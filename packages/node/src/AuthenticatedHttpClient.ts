/**
 * An `HttpClient` that sends the `TokenManager`'s headers with every request. A 401 means the API no
 * longer accepts the token (revoked, rotated keys): the token is renewed once, however many requests
 * saw the 401 at the same moment, and the request is sent again, once. A second 401 is an
 * `UnauthorizedError`, not a loop.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { type AuthError, TokenManager } from "@toshi/core"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * The API refused the credentials even after they were renewed.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnauthorizedError extends Data.TaggedError("UnauthorizedError")<{
  readonly method: string
  readonly url: string
  readonly status: number
}> {
  override get message(): string {
    return `${this.method} ${this.url} answered ${this.status} again after the token was renewed: the API does not accept ` +
      "these credentials (check the token's audience and scopes, or the API key's resource)"
  }
}

/**
 * What the client may fail with: the transport, getting a token, or a refused token.
 *
 * @since 0.1.0
 * @category models
 */
export type Error = HttpClientError.HttpClientError | AuthError.AuthError | UnauthorizedError

/**
 * @since 0.1.0
 * @category tags
 */
export class AuthenticatedHttpClient extends Context.Tag("@toshi/node/AuthenticatedHttpClient")<
  AuthenticatedHttpClient,
  HttpClient.HttpClient.With<Error>
>() {}

/** Whether `request` went out with exactly the credentials `headers` holds now. */
const sentWith = (request: HttpClientRequest.HttpClientRequest, headers: Readonly<Record<string, string>>) =>
  Object.entries(headers).every(([name, value]) => request.headers[name.toLowerCase()] === value)

/**
 * The client over the current `HttpClient` and `TokenManager`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<HttpClient.HttpClient.With<Error>, never, HttpClient.HttpClient | TokenManager.TokenManager> = Effect.gen(
  function*() {
    const client = yield* HttpClient.HttpClient
    const manager = yield* TokenManager.TokenManager
    const authorize = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.map(manager.headers, (headers) => HttpClientRequest.setHeaders(request, headers))
    return client.pipe(
      HttpClient.mapRequestEffect(authorize),
      HttpClient.transform((effect, request) =>
        Effect.flatMap(effect, (response) => {
          if (response.status !== 401) return Effect.succeed(response)
          return Effect.gen(function*() {
            // Only the first of many requests refused with the same token renews it; the others
            // find a new token already there (and `forceRefresh` coalesces those that overlap).
            if (sentWith(request, yield* manager.headers)) yield* manager.forceRefresh
            const retried = yield* client.execute(yield* authorize(request))
            if (retried.status === 401) {
              return yield* new UnauthorizedError({ method: request.method, url: request.url, status: retried.status })
            }
            return retried
          })
        })
      )
    )
  }
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AuthenticatedHttpClient, never, HttpClient.HttpClient | TokenManager.TokenManager> = Layer.effect(
  AuthenticatedHttpClient,
  make
)
