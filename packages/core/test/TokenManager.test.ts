import { assert, describe, it } from "@effect/vitest"
import * as Array from "effect/Array"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Supervisor from "effect/Supervisor"
import * as TestClock from "effect/TestClock"
import {
  AuthError,
  AuthProvider,
  RefreshContext,
  RefreshHooks,
  RefreshPolicy,
  TokenManager,
  TokenSet,
  TokenStore
} from "../src/index.js"
import { access, makeCountingProvider } from "./utils.js"

interface Setup {
  readonly store?: TokenStore.TokenStoreService
  readonly policy?: RefreshPolicy.RefreshPolicyService
  readonly hooks?: Partial<RefreshHooks.RefreshHooksService>
  readonly options?: TokenManager.Options
}

const managerFor = (provider: AuthProvider.AuthProviderService, setup: Setup = {}) =>
  TokenManager.make(setup.options).pipe(
    Effect.provideService(AuthProvider.AuthProvider, provider),
    Effect.provideService(TokenStore.TokenStore, setup.store ?? TokenStore.makeMemory()),
    Effect.provideService(RefreshPolicy.RefreshPolicy, setup.policy ?? RefreshPolicy.raise),
    Effect.provideService(RefreshHooks.RefreshHooks, RefreshHooks.make(setup.hooks ?? {}))
  )

/** Records every hook call, in order. */
const recordHooks = () => {
  const calls: Array<{ hook: string; context: RefreshContext.RefreshContext; error?: AuthError.AuthError }> = []
  const hooks: Partial<RefreshHooks.RefreshHooksService> = {
    onRefreshStart: (context) => Effect.sync(() => void calls.push({ hook: "start", context })),
    onRefreshSuccess: (context) => Effect.sync(() => void calls.push({ hook: "success", context })),
    onRefreshFailure: (context, error) => Effect.sync(() => void calls.push({ hook: "failure", context, error }))
  }
  return { calls, hooks }
}

/** Whether a forked effect has already completed, without moving the clock: i.e. nobody waited. */
const completedWithoutWaiting = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    // The test clock stands still: a fiber that has to wait for a refresh cannot finish here.
    let exit = yield* Fiber.poll(fiber)
    for (let i = 0; i < 50 && Option.isNone(exit); i++) {
      yield* Effect.yieldNow()
      exit = yield* Fiber.poll(fiber)
    }
    if (Option.isNone(exit)) yield* Fiber.interrupt(fiber)
    return exit
  })

const HOURS = Number(process.env.HOURS ?? 24)
const transient = () => new AuthError.RefreshFailedError({ reason: "Transport", description: "connection reset" })
const invalidGrant = () => new AuthError.RefreshFailedError({ reason: "InvalidGrant", description: "refresh token revoked" })

describe("TokenManager", () => {
  describe("single flight", () => {
    it.scoped("10,000 concurrent callers on an empty store cause one acquire, and all get the same token", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "1 hour", latency: "200 millis" })
        const manager = yield* managerFor(provider.service)
        const fiber = yield* Effect.fork(
          Effect.all(Array.replicate(manager.token, 10_000), { concurrency: "unbounded" })
        )
        yield* TestClock.adjust("1 second")
        const results = yield* Fiber.join(fiber)
        assert.strictEqual(provider.counts.acquire, 1)
        assert.strictEqual(provider.counts.refresh, 0)
        assert.strictEqual(new Set(results.map(access)).size, 1)
        assert.strictEqual(results.length, 10_000)
      }))

    it.scoped("1,000 concurrent forceRefresh calls cause one refresh", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "1 hour", latency: "100 millis" })
        const manager = yield* managerFor(provider.service)
        const first = yield* Effect.fork(manager.token)
        yield* TestClock.adjust("1 second")
        const before = yield* Fiber.join(first)
        const fiber = yield* Effect.fork(
          Effect.all(Array.replicate(manager.forceRefresh, 1_000), { concurrency: "unbounded" })
        )
        yield* TestClock.adjust("1 second")
        const results = yield* Fiber.join(fiber)
        assert.strictEqual(provider.counts.acquire, 1)
        assert.strictEqual(provider.counts.refresh, 1)
        const tokens = new Set(results.map(access))
        assert.strictEqual(tokens.size, 1)
        assert.isFalse(tokens.has(access(before)))
        // The renewed token is what callers get afterwards, without another request.
        assert.strictEqual(access(yield* manager.token), [...tokens][0])
        assert.strictEqual(provider.total(), 2)
      }))

    it.scoped("callers queued behind a renewal that failed share its error instead of each retrying", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "1 hour", latency: "100 millis" })
        provider.failures.acquire.push(
          new AuthError.LoginFailedError({ reason: "InvalidCredentials", description: "wrong password" })
        )
        const manager = yield* managerFor(provider.service)
        const fiber = yield* Effect.fork(
          Effect.all(Array.replicate(Effect.flip(manager.token), 1_000), { concurrency: "unbounded" })
        )
        yield* TestClock.adjust("1 second")
        const errors = yield* Fiber.join(fiber)
        assert.strictEqual(provider.counts.acquire, 1)
        assert.isTrue(errors.every((e) => e._tag === "LoginFailedError" && e.reason === "InvalidCredentials"))
        // The next caller, arriving after the failure, tries again.
        const retry = yield* Effect.fork(manager.token)
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(retry)
        assert.strictEqual(provider.counts.acquire, 2)
      }))
  })

  describe("refresh ahead", () => {
    it.scoped("a stale token is served at once while exactly one background refresh runs", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes", latency: "5 seconds" })
        const { calls, hooks } = recordHooks()
        const manager = yield* managerFor(provider.service, {
          hooks,
          options: { refreshAhead: "2 minutes", jitter: 0 }
        })
        const first = yield* Effect.fork(manager.token)
        yield* TestClock.adjust("5 seconds")
        const old = yield* Fiber.join(first)
        // Into the refresh-ahead window: the background refresh starts and waits on the provider.
        yield* TestClock.adjust("8 minutes")
        const served = yield* completedWithoutWaiting(
          Effect.all(Array.replicate(manager.token, 500), { concurrency: "unbounded" })
        )
        assert.isTrue(Option.isSome(served) && Exit.isSuccess(served.value))
        if (Option.isSome(served) && Exit.isSuccess(served.value)) {
          assert.isTrue(served.value.value.every((t) => access(t) === access(old)))
        }
        assert.strictEqual(provider.counts.refresh, 1)
        yield* TestClock.adjust("5 seconds")
        const renewed = yield* manager.token
        assert.notStrictEqual(access(renewed), access(old))
        assert.strictEqual(provider.counts.refresh, 1)
        assert.deepStrictEqual(
          calls.map((c) => [c.hook, c.context.reason, c.context.source, c.context.method]),
          [
            ["start", "missing", "caller", "acquire"],
            ["success", "missing", "caller", "acquire"],
            ["start", "stale", "background", "refresh"],
            ["success", "stale", "background", "refresh"]
          ]
        )
      }))

    it.scoped("without the background fiber, the first caller to see a stale token starts the one refresh", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes", latency: "5 seconds" })
        const manager = yield* managerFor(provider.service, {
          options: { refreshAhead: "2 minutes", jitter: 0, backgroundRefresh: false }
        })
        const first = yield* Effect.fork(manager.token)
        yield* TestClock.adjust("5 seconds")
        const old = yield* Fiber.join(first)
        yield* TestClock.adjust("9 minutes")
        assert.strictEqual(provider.counts.refresh, 0)
        const served = yield* completedWithoutWaiting(
          Effect.all(Array.replicate(manager.token, 500), { concurrency: "unbounded" })
        )
        assert.isTrue(Option.isSome(served) && Exit.isSuccess(served.value))
        yield* Effect.yieldNow()
        assert.strictEqual(provider.counts.refresh, 1)
        yield* TestClock.adjust("5 seconds")
        assert.notStrictEqual(access(yield* manager.token), access(old))
        assert.strictEqual(provider.counts.refresh, 1)
      }))

    it.scoped("24 simulated hours of 5-minute tokens: renewed ahead of expiry, no caller ever waits, fibers stay constant", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "5 minutes", latency: "1 second" })
        const supervisor = yield* Supervisor.track
        const manager = yield* managerFor(provider.service).pipe(Effect.supervised(supervisor))
        const first = yield* Effect.fork(manager.token)
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(first)
        yield* TestClock.adjust("1 second")
        const liveAtStart = (yield* supervisor.value).length
        let waited = 0
        for (let minute = 1; minute <= HOURS * 60; minute++) {
          yield* TestClock.adjust("1 minute")
          const exit = yield* completedWithoutWaiting(manager.token)
          if (Option.isNone(exit) || Exit.isFailure(exit.value)) {
            waited++
            continue
          }
          const now = yield* TestClock.currentTimeMillis
          assert.isTrue(exit.value.value.expiresAt.epochMillis > now, `expired token served at minute ${minute}`)
          if (minute % 60 === 0) {
            // The watcher, plus one fiber while a background renewal is under way: nothing accumulates.
            const expected = liveAtStart + provider.state.inFlight
            assert.strictEqual((yield* supervisor.value).length, expected, `live fibers changed by hour ${minute / 60}`)
          }
        }
        assert.strictEqual(waited, 0)
        // One renewal per token lifetime at the least, and no more than one per half lifetime.
        const renewals = provider.counts.refresh
        assert.isAtLeast(renewals, (24 * 60) / 5)
        assert.isAtMost(renewals, (24 * 60) / 2.5 + 1)
        assert.strictEqual(provider.counts.acquire, 1)
      }))
  })

  describe("failures", () => {
    it.scoped("a transient failure, then success: callers never see the error while the old token is valid", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        provider.failures.refresh.push(transient(), transient())
        const { calls, hooks } = recordHooks()
        const manager = yield* managerFor(provider.service, {
          hooks,
          options: { refreshAhead: "2 minutes", jitter: 0 }
        })
        const old = yield* manager.token
        yield* TestClock.adjust("8 minutes")
        const seen = new Set<string>()
        for (let i = 0; i < 120; i++) {
          seen.add(access(yield* manager.token))
          yield* TestClock.adjust("500 millis")
        }
        assert.strictEqual(provider.counts.refresh, 3)
        assert.strictEqual(seen.size, 2)
        assert.isTrue(seen.has(access(old)))
        const renewal = calls.filter((c) => c.context.reason === "stale")
        assert.deepStrictEqual(renewal.map((c) => [c.hook, c.context.attempt]), [
          ["start", 1],
          ["failure", 1],
          ["start", 2],
          ["failure", 2],
          ["start", 3],
          ["success", 3]
        ])
        assert.strictEqual(renewal[1]!.error?._tag, "RefreshFailedError")
      }))

    it.scoped("retries honour a server's Retry-After", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        provider.failures.refresh.push(
          new AuthError.RefreshFailedError({
            reason: "RateLimited",
            description: "slow down",
            retryAfter: Duration.seconds(40)
          })
        )
        const manager = yield* managerFor(provider.service, { options: { refreshAhead: "2 minutes", jitter: 0 } })
        yield* manager.token
        yield* TestClock.adjust("8 minutes")
        yield* Effect.yieldNow()
        assert.strictEqual(provider.counts.refresh, 1)
        yield* TestClock.adjust("39 seconds")
        assert.strictEqual(provider.counts.refresh, 1)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(provider.counts.refresh, 2)
      }))

    it.scoped("a terminal failure with raise reaches the caller and keepFresh as a RefreshFailedError", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        const manager = yield* managerFor(provider.service, {
          policy: RefreshPolicy.raise,
          options: { backgroundRefresh: false }
        })
        yield* manager.token
        provider.failures.refresh.push(invalidGrant())
        yield* TestClock.adjust("11 minutes")
        const error = yield* Effect.flip(manager.token)
        assert.strictEqual(error._tag, "RefreshFailedError")
        assert.strictEqual(error._tag === "RefreshFailedError" && error.reason, "InvalidGrant")
        assert.match(error.message, /log in again/)
        const fatal = yield* Effect.flip(manager.keepFresh)
        assert.strictEqual(fatal, error)
        assert.strictEqual(provider.counts.refresh, 1)
        assert.strictEqual(provider.counts.acquire, 1)
      }))

    it.scoped("a terminal failure in the background ends keepFresh, so a daemon's program fails", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes", refresh: false })
        const manager = yield* managerFor(provider.service, {
          policy: RefreshPolicy.raise,
          options: { refreshAhead: "2 minutes", jitter: 0 }
        })
        yield* manager.token
        // A revoked M2M client: the renewal re-acquires, and the grant is refused.
        provider.failures.acquire.push(
          new AuthError.LoginFailedError({ reason: "InvalidClient", description: "client revoked" })
        )
        const daemon = yield* Effect.fork(Effect.raceFirst(Effect.never, manager.keepFresh))
        yield* TestClock.adjust("8 minutes")
        const exit = yield* Fiber.await(daemon)
        assert.isTrue(Exit.isFailure(exit))
        const error = yield* Effect.flip(Fiber.join(daemon))
        assert.strictEqual(error._tag, "RefreshFailedError")
        assert.strictEqual(error._tag === "RefreshFailedError" && error.reason, "InvalidClient")
        assert.strictEqual(provider.counts.acquire, 2)
      }))

    it.scoped("a terminal failure with relogin runs exactly one full acquire", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        const decisions: Array<[string, string]> = []
        const manager = yield* managerFor(provider.service, {
          policy: RefreshPolicy.make((context, error) => {
            decisions.push([context.reason, error._tag])
            return "Relogin"
          }),
          options: { backgroundRefresh: false }
        })
        const old = yield* manager.token
        provider.failures.refresh.push(invalidGrant())
        yield* TestClock.adjust("11 minutes")
        const renewed = yield* manager.token
        assert.notStrictEqual(access(renewed), access(old))
        assert.strictEqual(provider.counts.refresh, 1)
        assert.strictEqual(provider.counts.acquire, 2)
        assert.deepStrictEqual(decisions, [["expired", "RefreshFailedError"]])
      }))

    it.scoped("a failed re-login reaches the caller with its own error", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        const manager = yield* managerFor(provider.service, {
          policy: RefreshPolicy.relogin,
          options: { backgroundRefresh: false }
        })
        yield* manager.token
        provider.failures.refresh.push(invalidGrant())
        provider.failures.acquire.push(new AuthError.LoginFailedError({ reason: "AccessDenied", description: "denied" }))
        yield* TestClock.adjust("11 minutes")
        const error = yield* Effect.flip(manager.token)
        assert.strictEqual(error._tag, "LoginFailedError")
        assert.strictEqual(provider.counts.acquire, 2)
      }))

    it.scoped("transient failures with nothing to serve are retried a bounded number of times, then go to the policy", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        provider.failures.acquire.push(transient(), transient(), transient(), transient())
        const manager = yield* managerFor(provider.service, { options: { retry: { maxAttempts: 3 } } })
        const fiber = yield* Effect.fork(Effect.flip(manager.token))
        yield* TestClock.adjust("1 minute")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "RefreshFailedError")
        assert.strictEqual(provider.counts.acquire, 3)
      }))

    it.scoped("a store failure reaches the caller as a TokenStoreError, without the policy", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        const memory = TokenStore.makeMemory()
        const broken: TokenStore.TokenStoreService = {
          ...memory,
          save: () =>
            Effect.fail(new AuthError.TokenStoreError({ reason: "Permission", description: "read-only", path: "/x" }))
        }
        let consulted = false
        const manager = yield* managerFor(provider.service, {
          store: broken,
          policy: RefreshPolicy.make(() => {
            consulted = true
            return "Relogin"
          })
        })
        const error = yield* Effect.flip(manager.token)
        assert.strictEqual(error._tag, "TokenStoreError")
        assert.isFalse(consulted)
      }))
  })

  describe("hooks", () => {
    it.scoped("a failing start hook fails the refresh, and the failure hook sees that error", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        const seen: Array<AuthError.AuthError> = []
        const manager = yield* managerFor(provider.service, {
          hooks: {
            onRefreshStart: () => Effect.fail("metrics backend down"),
            onRefreshFailure: (_, error) => Effect.sync(() => void seen.push(error))
          }
        })
        const error = yield* Effect.flip(manager.token)
        assert.strictEqual(error._tag, "RefreshFailedError")
        assert.strictEqual(error._tag === "RefreshFailedError" && error.reason, "HookFailed")
        assert.strictEqual(provider.counts.acquire, 0)
        assert.deepStrictEqual(seen, [error])
      }))

    it.scoped("a running session's refused re-login reaches the failure hook as the RefreshFailedError callers get", () =>
      Effect.gen(function*() {
        // No refresh method: renewing re-acquires, and the provider refuses with a LoginFailedError.
        const provider = makeCountingProvider({ lifetime: "10 minutes", refresh: false })
        const seen: Array<AuthError.AuthError> = []
        const manager = yield* managerFor(provider.service, {
          hooks: { onRefreshFailure: (_, error) => Effect.sync(() => void seen.push(error)) }
        })
        yield* manager.token
        provider.failures.acquire.push(new AuthError.LoginFailedError({ reason: "InvalidClient", description: "client revoked" }))
        const error = yield* Effect.flip(manager.forceRefresh)
        assert.strictEqual(error._tag, "RefreshFailedError")
        assert.deepStrictEqual(seen.map((e) => e._tag), ["RefreshFailedError"])
        assert.strictEqual(seen[0]!._tag === "RefreshFailedError" && seen[0]!.reason, "InvalidClient")
      }))

    it.scoped("a failing success hook fails the refresh", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        const manager = yield* managerFor(provider.service, {
          hooks: { onRefreshSuccess: () => Effect.fail("boom") }
        })
        const error = yield* Effect.flip(manager.token)
        assert.strictEqual(error._tag === "RefreshFailedError" && error.reason, "HookFailed")
      }))

    it.scoped("a failing failure hook leaves the original error in place", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        provider.failures.acquire.push(new AuthError.LoginFailedError({ reason: "UserNotFound", description: "no such user" }))
        const seen: Array<string> = []
        const manager = yield* managerFor(provider.service, {
          hooks: {
            onRefreshFailure: (_, error) => Effect.zipRight(Effect.sync(() => void seen.push(error._tag)), Effect.fail("boom"))
          }
        })
        const error = yield* Effect.flip(manager.token)
        assert.strictEqual(error._tag === "LoginFailedError" && error.reason, "UserNotFound")
        assert.deepStrictEqual(seen, ["LoginFailedError"])
      }))
  })

  describe("stores", () => {
    it.scoped("two managers over one store: when one renews, the other takes the token from the store", () =>
      Effect.gen(function*() {
        const store = TokenStore.makeMemory()
        const a = makeCountingProvider({ key: "shared", lifetime: "10 minutes", latency: "1 second" })
        const b = makeCountingProvider({ key: "shared", lifetime: "10 minutes", latency: "1 second" })
        const managerA = yield* managerFor(a.service, { store, options: { refreshAhead: "2 minutes" } })
        const managerB = yield* managerFor(b.service, { store, options: { refreshAhead: "2 minutes" } })
        const first = yield* Effect.fork(managerA.token)
        yield* TestClock.adjust("1 second")
        const tokenA = yield* Fiber.join(first)
        const tokenB = yield* managerB.token
        assert.strictEqual(access(tokenB), access(tokenA))
        assert.strictEqual(b.total(), 0)
        // An hour of 10-minute tokens, each renewed about 8 minutes in (2 minutes ahead, less jitter):
        // one manager alone would make 1 + 7 calls. Two that did not share would make about twice that.
        const served = new Set<string>()
        for (let step = 1; step <= 120; step++) {
          yield* TestClock.adjust("30 seconds")
          const [ta, tb] = yield* Effect.all([managerA.token, managerB.token])
          served.add(access(ta)).add(access(tb))
        }
        assert.strictEqual(a.total() + b.total(), 8)
        // Every token either provider issued was served by both managers' shared store, none wasted.
        assert.strictEqual(served.size, 8)
      }))

    it.scoped("a token saved by another holder of the store is used by forceRefresh instead of the provider", () =>
      Effect.gen(function*() {
        const store = TokenStore.makeMemory()
        const provider = makeCountingProvider({ key: "k", lifetime: "10 minutes" })
        const manager = yield* managerFor(provider.service, { store })
        const old = yield* manager.token
        const elsewhere = TokenSet.make({
          accessToken: Redacted.make("from-another-process"),
          expiresAt: old.expiresAt,
          issuedAt: old.issuedAt!
        })
        yield* store.save("k", elsewhere)
        const forced = yield* manager.forceRefresh
        assert.strictEqual(access(forced), "from-another-process")
        assert.strictEqual(provider.total(), 1)
      }))

    it.scoped("a saved session is picked up at start without a login", () =>
      Effect.gen(function*() {
        const store = TokenStore.makeMemory()
        const provider = makeCountingProvider({ key: "k", lifetime: "10 minutes" })
        const saved = yield* managerFor(provider.service, { store }).pipe(Effect.flatMap((m) => m.token))
        const again = makeCountingProvider({ key: "k", lifetime: "10 minutes" })
        const manager = yield* managerFor(again.service, { store })
        assert.strictEqual(access(yield* manager.token), access(saved))
        assert.strictEqual(again.total(), 0)
      }))

    it.scoped("an expired saved session is renewed with its refresh token, not a new login", () =>
      Effect.gen(function*() {
        const store = TokenStore.makeMemory()
        const provider = makeCountingProvider({ key: "k", lifetime: "10 minutes" })
        yield* managerFor(provider.service, { store, options: { backgroundRefresh: false } }).pipe(
          Effect.flatMap((m) => m.token)
        )
        yield* TestClock.adjust("1 hour")
        const manager = yield* managerFor(provider.service, { store })
        yield* manager.token
        assert.deepStrictEqual(provider.counts, { acquire: 1, refresh: 1 })
      }))

    it.scoped("a renewal without a new refresh token keeps the old one", () =>
      Effect.gen(function*() {
        const store = TokenStore.makeMemory()
        const provider = makeCountingProvider({ key: "k", lifetime: "10 minutes", refreshReturnsRefreshToken: false })
        const manager = yield* managerFor(provider.service, { store, options: { backgroundRefresh: false } })
        const first = yield* manager.token
        yield* TestClock.adjust("11 minutes")
        const renewed = yield* manager.token
        assert.notStrictEqual(access(renewed), access(first))
        assert.strictEqual(Redacted.value(renewed.refreshToken!), Redacted.value(first.refreshToken!))
        const stored = yield* store.load("k")
        assert.strictEqual(Redacted.value(Option.getOrThrow(stored).refreshToken!), Redacted.value(first.refreshToken!))
      }))

    it.scoped("clear forgets the session in memory and in the store", () =>
      Effect.gen(function*() {
        const store = TokenStore.makeMemory()
        const provider = makeCountingProvider({ key: "k", lifetime: "10 minutes" })
        const manager = yield* managerFor(provider.service, { store })
        yield* manager.token
        yield* manager.clear
        assert.isTrue(Option.isNone(yield* store.load("k")))
        yield* manager.token
        assert.strictEqual(provider.counts.acquire, 2)
      }))
  })

  describe("headers", () => {
    it.scoped("headers carry the bearer token, or the provider's own header", () =>
      Effect.gen(function*() {
        const bearer = makeCountingProvider({ lifetime: "10 minutes" })
        const manager = yield* managerFor(bearer.service)
        const headers = yield* manager.headers
        assert.match(headers["authorization"]!, /^Bearer access-1-/)
        assert.strictEqual(yield* manager.authorizationHeader, headers["authorization"])

        const keyed = makeCountingProvider({ key: "api", lifetime: "10 minutes" })
        const apiKeyManager = yield* managerFor({
          ...keyed.service,
          headers: (tokens) => ({ "x-api-key": Redacted.value(tokens.accessToken) })
        })
        assert.deepStrictEqual(Object.keys(yield* apiKeyManager.headers), ["x-api-key"])
      }))

    it.effect("the layer builds from a provider, a store, a policy and hooks", () =>
      Effect.gen(function*() {
        const provider = makeCountingProvider({ lifetime: "10 minutes" })
        const TokenManagerLive = TokenManager.layer({ refreshAhead: "1 minute" }).pipe(
          Layer.provide([
            AuthProvider.layer(provider.service),
            TokenStore.layerMemory,
            RefreshPolicy.layer(RefreshPolicy.raise),
            RefreshHooks.layerNoop
          ])
        )
        const header = yield* TokenManager.authorizationHeader.pipe(Effect.provide(TokenManagerLive))
        assert.match(header, /^Bearer access-1-/)
        assert.strictEqual(provider.counts.acquire, 1)
      }))
  })
})
