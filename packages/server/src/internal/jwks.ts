/**
 * Fetching an issuer's JWKS and keeping the engine's keys current: loaded at start-up, fetched
 * again for an unknown `kid` at most once per cooldown, refreshed in the background once the keys
 * reach their maximum age, and every concurrent fetch merged into one.
 *
 * @internal
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Chunk from "effect/Chunk"
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { JwksUnavailable } from "../VerifyError.js"
import type { Engine } from "./engine.js"
import { type Algorithm, bind, importKey, type Key } from "./jwk.js"

export interface JwksSettings {
  readonly uri: string
  readonly timeout: Duration.Duration
  readonly maxBytes: number
  readonly cooldown: Duration.Duration
  readonly maxAge: Duration.Duration
}

const unavailable = (reason: JwksUnavailable["reason"], description: string) =>
  new JwksUnavailable({ reason, description }, true)

/** Reads a body, failing as soon as it grows past `maxBytes` (which also aborts the transfer). */
const readCapped = <E>(stream: Stream.Stream<Uint8Array, E>, maxBytes: number) =>
  Stream.runFoldEffect(stream, { chunks: Chunk.empty<Uint8Array>(), size: 0 }, (acc, chunk) => {
    const size = acc.size + chunk.length
    return size > maxBytes
      ? Effect.fail(unavailable("TooLarge", `the JWKS is larger than ${maxBytes} bytes`))
      : Effect.succeed({ chunks: Chunk.append(acc.chunks, chunk), size })
  }).pipe(Effect.map(({ chunks }) => Buffer.concat(Chunk.toReadonlyArray(chunks))))

/**
 * One GET of the JWKS: status 200 only (a redirect is refused, not followed), a size cap, a
 * timeout over the whole exchange. Returns the keys usable with at least one allowed algorithm.
 */
export const fetchKeys = (
  client: HttpClient.HttpClient,
  settings: JwksSettings,
  algorithms: ReadonlySet<Algorithm>
): Effect.Effect<ReadonlyArray<Key>, JwksUnavailable> =>
  Effect.gen(function*() {
    const response = yield* client.execute(HttpClientRequest.get(settings.uri, { acceptJson: true })).pipe(
      Effect.mapError((error) => unavailable("Unreachable", `the JWKS request failed (${error.reason})`))
    )
    if (response.status >= 300 && response.status < 400) {
      return yield* unavailable("Redirected", `the JWKS URI answered a redirect (${response.status})`)
    }
    if (response.status !== 200) {
      return yield* unavailable("HttpStatus", `the JWKS URI answered ${response.status}`)
    }
    const declared = Number(response.headers["content-length"])
    if (Number.isFinite(declared) && declared > settings.maxBytes) {
      return yield* unavailable("TooLarge", `the JWKS is larger than ${settings.maxBytes} bytes`)
    }
    const body = yield* readCapped(response.stream, settings.maxBytes).pipe(
      Effect.catchTag("ResponseError", (error) => unavailable("Unreachable", `the JWKS body could not be read (${error.reason})`))
    )
    let document: unknown
    try {
      document = JSON.parse(body.toString("utf8"))
    } catch {
      return yield* unavailable("Malformed", "the JWKS is not JSON")
    }
    const entries = typeof document === "object" && document !== null ? (document as { keys?: unknown }).keys : undefined
    if (!Array.isArray(entries)) return yield* unavailable("Malformed", "the JWKS has no keys array")
    const keys: Array<Key> = []
    const seen = new Set<string>()
    const skipped: Array<string> = []
    for (const entry of entries) {
      const key = importKey(entry)
      if (typeof key === "string") {
        skipped.push(`a key ${key}`)
        continue
      }
      // Two keys under one kid would make the choice of key depend on the order of the set.
      if (seen.has(key.kid)) {
        skipped.push(`a second key has the kid ${key.kid}`)
        continue
      }
      seen.add(key.kid)
      if ([...algorithms].some((alg) => typeof bind(alg, key) === "function")) keys.push(key)
      else skipped.push(`key ${key.kid} suits none of the allowed algorithms`)
    }
    if (skipped.length > 0) yield* Effect.logDebug("JWKS: keys skipped", { uri: settings.uri, skipped })
    if (keys.length === 0) {
      return yield* unavailable("NoUsableKeys", `the JWKS has no key usable with ${[...algorithms].join(", ")}`)
    }
    return keys
  }).pipe(
    Effect.timeoutFail({
      duration: settings.timeout,
      onTimeout: () => unavailable("Timeout", `the JWKS did not arrive within ${Duration.format(settings.timeout)}`)
    }),
    // With the fetch client, refuse redirects at the source instead of following them; other
    // clients (undici, node:http) do not follow redirects in the first place.
    (effect) =>
      Effect.flatMap(Effect.serviceOption(FetchHttpClient.RequestInit), (init) =>
        Effect.provideService(effect, FetchHttpClient.RequestInit, {
          ...Option.getOrElse(init, () => ({})),
          redirect: "manual"
        }))
  )

export interface KeySource {
  /** Fetches now (joining a fetch in flight), whatever the cooldown says. */
  readonly refresh: Effect.Effect<void, JwksUnavailable>
  /**
   * After a token named `kid` and the engine did not know it: fetches the set again unless one was
   * fetched within the cooldown, then says whether the key is known now.
   */
  readonly lookup: (kid: string) => Effect.Effect<boolean, JwksUnavailable>
}

/**
 * The key source of one issuer, with its background refresh forked into `scope`.
 */
export const makeKeySource = (options: {
  readonly engine: Engine
  readonly client: HttpClient.HttpClient
  readonly settings: JwksSettings
  readonly clock: Clock.Clock
  readonly scope: Scope.Scope
}): Effect.Effect<KeySource> =>
  Effect.gen(function*() {
    const { clock, engine, scope, settings } = options
    const cooldown = Duration.toMillis(settings.cooldown)
    const maxAge = Duration.toMillis(settings.maxAge)
    // The background retries no faster than once a second, even with no cooldown: an issuer that
    // is down must not be hammered in a loop.
    const retryDelay = Duration.millis(Math.max(cooldown, 1000))
    let lastAttempt = Number.NEGATIVE_INFINITY
    let loadedAt: number | undefined
    let lastFailure: JwksUnavailable | undefined
    let inflight: Deferred.Deferred<void, JwksUnavailable> | undefined

    const fetchOnce = Effect.suspend(() => {
      lastAttempt = clock.unsafeCurrentTimeMillis()
      return fetchKeys(options.client, settings, engine.settings.algorithms)
    }).pipe(
      Effect.tap((keys) =>
        Effect.sync(() => {
          engine.setKeys(keys)
          loadedAt = clock.unsafeCurrentTimeMillis()
          lastFailure = undefined
        })
      ),
      Effect.tapError((error) =>
        Effect.zipRight(
          Effect.sync(() => {
            lastFailure = error
          }),
          // The details (the URI, the cause) go to the log, not to the caller.
          Effect.logWarning("JWKS fetch failed; the keys already loaded stay in use", {
            uri: settings.uri,
            reason: error.reason,
            description: error.description
          })
        )
      ),
      Effect.asVoid
    )

    // Single flight: the first caller forks the fetch into the verifier's scope (so that its own
    // interruption does not cancel the fetch others wait on); everyone awaits the same result.
    const refresh: Effect.Effect<void, JwksUnavailable> = Effect.suspend(() => {
      if (inflight !== undefined) return Deferred.await(inflight)
      const deferred = Deferred.unsafeMake<void, JwksUnavailable>(FiberId.none)
      inflight = deferred
      // `onExit` also covers the fetch being interrupted (the verifier's scope closing), so that
      // nobody waits forever on a fetch that will not finish.
      const run = fetchOnce.pipe(
        Effect.onExit((exit) =>
          Effect.suspend(() => {
            inflight = undefined
            return Deferred.done(deferred, exit)
          })
        )
      )
      return Effect.zipRight(Effect.forkIn(run, scope), Deferred.await(deferred))
    })

    const lookup = (kid: string): Effect.Effect<boolean, JwksUnavailable> =>
      Effect.suspend(() => {
        if (inflight === undefined && clock.unsafeCurrentTimeMillis() - lastAttempt < cooldown) {
          // Within the cooldown the set is as fresh as it may be: an unknown kid is unknown, unless
          // the last fetch failed, in which case nobody can tell.
          return lastFailure === undefined ? Effect.succeed(engine.hasKey(kid)) : Effect.fail(lastFailure)
        }
        return Effect.map(refresh, () => engine.hasKey(kid))
      })

    // Keys past their maximum age are fetched again, so a key the issuer removed stops being
    // trusted; a failed refresh keeps the old keys and is retried after the cooldown.
    const background: Effect.Effect<never> = Effect.suspend(() => {
      const now = clock.unsafeCurrentTimeMillis()
      const due = loadedAt === undefined ? lastAttempt + Duration.toMillis(retryDelay) : loadedAt + maxAge
      if (now < due) return Effect.zipRight(clock.sleep(Duration.millis(due - now)), background)
      return refresh.pipe(
        Effect.matchEffect({
          onFailure: () => clock.sleep(retryDelay),
          onSuccess: () => Effect.void
        }),
        Effect.zipRight(background)
      )
    })
    yield* Effect.forkIn(background, scope)

    return { refresh, lookup }
  })
