import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { AuthError, AuthProvider } from "../src/index.js"
import { TokenSet } from "../src/index.js"

/** A marker every secret this test provider issues contains, so tests can look for leaks. */
export const SECRET_MARK = "s3cr3t"

let instances = 0

/**
 * A test provider: the service a real grant would be, issuing numbered tokens and counting calls.
 * Failures to answer with can be queued per method.
 */
export const makeCountingProvider = (options: {
  readonly key?: string
  readonly lifetime: Duration.DurationInput
  readonly latency?: Duration.DurationInput
  readonly refresh?: boolean
  readonly refreshReturnsRefreshToken?: boolean
}) => {
  const counts = { acquire: 0, refresh: 0 }
  const failures = { acquire: [] as Array<AuthError.AuthError>, refresh: [] as Array<AuthError.AuthError> }
  let serial = 0
  /** Requests under way: a background renewal runs in a fiber of its own while one is. */
  const state = { inFlight: 0 }
  const instance = ++instances
  const issue = (withRefreshToken: boolean) =>
    Effect.gen(function*() {
      if (options.latency !== undefined) {
        state.inFlight++
        yield* Effect.ensuring(Effect.sleep(options.latency), Effect.sync(() => state.inFlight--))
      }
      const now = yield* Clock.currentTimeMillis
      serial++
      return TokenSet.make({
        accessToken: Redacted.make(`access-${serial}-${SECRET_MARK}-${instance}`),
        idToken: Redacted.make(`id-${serial}-${SECRET_MARK}`),
        ...(withRefreshToken ? { refreshToken: Redacted.make(`refresh-${serial}-${SECRET_MARK}`) } : {}),
        issuedAt: DateTime.unsafeMake(now),
        expiresAt: DateTime.unsafeMake(now + Duration.toMillis(options.lifetime)),
        scope: ["read"]
      })
    })
  const next = (method: "acquire" | "refresh") =>
    Effect.suspend(() => {
      counts[method]++
      const failure = failures[method].shift()
      return failure === undefined
        ? issue(method === "acquire" || options.refreshReturnsRefreshToken !== false)
        : Effect.zipRight(options.latency === undefined ? Effect.void : Effect.sleep(options.latency), Effect.fail(failure))
    })
  const service: AuthProvider.AuthProviderService = {
    key: options.key ?? "test",
    acquire: next("acquire"),
    refresh: options.refresh === false ? undefined : () => next("refresh")
  }
  return { service, counts, failures, state, total: () => counts.acquire + counts.refresh }
}

/** Access token of a set, for assertions. */
export const access = (tokens: TokenSet.TokenSet): string => Redacted.value(tokens.accessToken)
