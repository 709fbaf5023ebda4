/**
 * `pnpm bench`: what a cached token costs per call, and what 10,000 callers at expiry cost.
 * Figures are printed, never asserted: timings belong here, not in tests.
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenSet, TokenStore } from "../src/index.js"

/** A provider that answers like a nearby token endpoint: after `latencyMs`, a token for `lifetimeMs`. */
const makeProvider = (lifetimeMs: number, latencyMs: number) => {
  let calls = 0
  const service = AuthProvider.make({
    key: "bench",
    acquire: Effect.gen(function*() {
      calls++
      yield* Effect.sleep(latencyMs)
      const now = Date.now()
      return TokenSet.make({
        accessToken: Redacted.make(`token-${calls}`),
        issuedAt: DateTime.unsafeMake(now),
        expiresAt: DateTime.unsafeMake(now + lifetimeMs)
      })
    })
  })
  return { service, calls: () => calls }
}

const managerLayer = (provider: AuthProvider.AuthProviderService, options: TokenManager.Options) =>
  TokenManager.layer(options).pipe(
    Layer.provide([
      AuthProvider.layer(provider),
      TokenStore.layerMemory,
      RefreshPolicy.layer(RefreshPolicy.raise),
      RefreshHooks.layerNoop
    ])
  )

/** Nanoseconds per iteration of `effect`, run `n` times in one fiber; best of `rounds`. */
const perCall = <A, E, R>(effect: Effect.Effect<A, E, R>, n: number, rounds = 7) =>
  Effect.gen(function*() {
    let best = Infinity
    for (let round = 0; round < rounds; round++) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < n; i++) yield* effect
      best = Math.min(best, Number(process.hrtime.bigint() - start) / n)
    }
    return best
  })

/** The same, as a chain of `flatMap`s: how a token is used inside a composed pipeline. */
const perCallChained = <A, E, R>(effect: Effect.Effect<A, E, R>, n: number, rounds = 7) =>
  Effect.gen(function*() {
    const chain = (i: number): Effect.Effect<void, E, R> => i === 0 ? Effect.void : Effect.flatMap(effect, () => chain(i - 1))
    let best = Infinity
    for (let round = 0; round < rounds; round++) {
      const start = process.hrtime.bigint()
      yield* chain(n)
      best = Math.min(best, Number(process.hrtime.bigint() - start) / n)
    }
    return best
  })

const cachedCost = Effect.gen(function*() {
  const manager = yield* TokenManager.TokenManager
  const tokens = yield* manager.token
  const succeed = Effect.succeed(tokens)
  const n = 1_000_000
  // Warm up both paths before measuring.
  yield* perCall(manager.token, n, 2)
  yield* perCall(succeed, n, 2)
  const baseline = yield* perCall(succeed, n)
  const suspended = yield* perCall(Effect.suspend(() => succeed), n)
  const token = yield* perCall(manager.token, n)
  const headers = yield* perCall(manager.headers, n)
  yield* perCallChained(manager.token, n, 2)
  yield* perCallChained(succeed, n, 2)
  const chainedBaseline = yield* perCallChained(succeed, n)
  const chainedToken = yield* perCallChained(manager.token, n)
  return { baseline, suspended, token, headers, chainedBaseline, chainedToken }
}).pipe(Effect.provide(managerLayer(makeProvider(3_600_000, 0).service, {})))

const atExpiry = (callers: number) => {
  const provider = makeProvider(1_000, 20)
  return Effect.gen(function*() {
    const manager = yield* TokenManager.TokenManager
    yield* manager.token
    const callsBefore = provider.calls()
    // Let the token expire, then everybody asks at once.
    yield* Effect.sleep(1_050)
    const start = process.hrtime.bigint()
    const results = yield* Effect.all(Array.from({ length: callers }, () => manager.token), {
      concurrency: "unbounded"
    })
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6
    const distinct = new Set(results.map((t) => Redacted.value(t.accessToken))).size
    return { providerCalls: provider.calls() - callsBefore, wallMs, distinct }
  }).pipe(Effect.provide(managerLayer(provider.service, { backgroundRefresh: false, expirySkew: 0 })))
}

/** The floor for the wall time: as many fibers, each only waiting as long as the endpoint takes. */
const fibersAlone = (callers: number) =>
  Effect.gen(function*() {
    const start = process.hrtime.bigint()
    yield* Effect.all(Array.from({ length: callers }, () => Effect.sleep(20)), { concurrency: "unbounded" })
    return Number(process.hrtime.bigint() - start) / 1e6
  })

const program = Effect.gen(function*() {
  const cost = yield* cachedCost
  yield* fibersAlone(10_000)
  const fleet = yield* atExpiry(10_000)
  const floor = yield* fibersAlone(10_000)
  const ratio = cost.token / cost.baseline
  console.log("toshi core benchmark (node " + process.version + ")")
  console.log("")
  // Effect.gen hands an already-completed effect such as Effect.succeed straight back to the generator
  // without a step of the run loop; anything that has to look at state takes two. Effect.suspend
  // of the same value is that floor, printed beside it.
  console.log("cached token, per call with yield* in Effect.gen (best of 7 x 1,000,000):")
  console.log(`  Effect.succeed(value)      ${cost.baseline.toFixed(1)} ns`)
  console.log(`  Effect.suspend(() => it)   ${cost.suspended.toFixed(1)} ns   (${(cost.suspended / cost.baseline).toFixed(2)}x: the floor for anything that looks at state)`)
  console.log(`  manager.token              ${cost.token.toFixed(1)} ns   (${ratio.toFixed(2)}x, goal <= 3x)`)
  console.log(`  manager.headers            ${cost.headers.toFixed(1)} ns`)
  console.log("")
  console.log("cached token, per call in a chain of flatMaps (best of 7 x 1,000,000):")
  console.log(`  Effect.succeed(value)      ${cost.chainedBaseline.toFixed(1)} ns`)
  console.log(`  manager.token              ${cost.chainedToken.toFixed(1)} ns   (${(cost.chainedToken / cost.chainedBaseline).toFixed(2)}x)`)
  console.log("")
  console.log("10,000 concurrent callers at expiry (token endpoint answering in 20 ms):")
  console.log(`  provider calls             ${fleet.providerCalls}   (goal: 1)`)
  console.log(`  distinct tokens handed out ${fleet.distinct}`)
  console.log(`  wall time                  ${fleet.wallMs.toFixed(1)} ms`)
  console.log(`  10,000 fibers that only sleep 20 ms: ${floor.toFixed(1)} ms (the floor on this machine)`)
})

Effect.runPromise(program).catch((error) => {
  console.error(error)
  process.exit(1)
})
