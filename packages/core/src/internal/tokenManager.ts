import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as AuthError from "../AuthError.js"
import * as AuthProvider from "../AuthProvider.js"
import type { RefreshContext } from "../RefreshContext.js"
import * as RefreshHooks from "../RefreshHooks.js"
import * as RefreshPolicy from "../RefreshPolicy.js"
import type { Options, TokenManagerService } from "../TokenManager.js"
import * as TokenSet from "../TokenSet.js"
import * as TokenStore from "../TokenStore.js"

/** Fresh: served as it is. Stale: served while one background refresh runs. Expired: callers wait. */
const FRESH = 0
const STALE = 1
const EXPIRED = 2
type Phase = typeof FRESH | typeof STALE | typeof EXPIRED

/**
 * The current token with everything the hot path needs already computed, so that serving it
 * allocates nothing: the effects handed to callers are built once per token, not once per call.
 */
interface Entry {
  readonly tokens: TokenSet.TokenSet
  /** Until here (epoch ms) the token is fresh. */
  readonly freshUntil: number
  /** Until here it is still served; after it, callers wait for a renewal. */
  readonly validUntil: number
  /**
   * Where the token stands, moved on by the watcher fiber's timers. Reading the clock costs more
   * on these machines than the rest of the hot path together (about 70 ns), so callers read this.
   */
  phase: Phase
  readonly token: Effect.Effect<TokenSet.TokenSet>
  readonly headers: Effect.Effect<Readonly<Record<string, string>>>
  readonly authorizationHeader: Effect.Effect<string>
}

/** Why a renewal runs, and how long transient failures may be retried. */
interface Renewal {
  readonly reason: RefreshContext["reason"]
  readonly source: RefreshContext["source"]
  /** Epoch ms after which no retry starts; `undefined`: at most `maxAttempts` attempts. */
  readonly deadline: number | undefined
}

/**
 * The watcher re-reads the clock at least once a minute: timers run on a monotonic clock that
 * stands still while a laptop sleeps, so after it wakes a token must not pass for fresh for long.
 * (A server's 401 in that minute is what `forceRefresh` is for.)
 */
const watchIntervalMs = 60_000

const phaseAt = (entry: Entry, now: number): Phase =>
  now < entry.freshUntil ? FRESH : now < entry.validUntil ? STALE : EXPIRED

const defaults = {
  refreshAhead: Duration.minutes(5),
  expirySkew: Duration.seconds(30),
  jitter: 0.1,
  initialDelay: Duration.millis(500),
  maxDelay: Duration.seconds(30),
  maxAttempts: 3
}

/** @internal */
export const make = Effect.fn("TokenManager.make")(function*(options: Options = {}) {
  const provider = yield* AuthProvider.AuthProvider
  const store = yield* TokenStore.TokenStore
  const policy = yield* RefreshPolicy.RefreshPolicy
  const hooks = yield* RefreshHooks.RefreshHooks
  const scope = yield* Effect.scope

  const key = provider.key
  const refreshAheadMs = Duration.toMillis(options.refreshAhead ?? defaults.refreshAhead)
  const expirySkewMs = Duration.toMillis(options.expirySkew ?? defaults.expirySkew)
  const jitter = Math.min(Math.max(options.jitter ?? defaults.jitter, 0), 0.5)
  const initialDelay = Duration.decode(options.retry?.initialDelay ?? defaults.initialDelay)
  const maxDelay = Duration.decode(options.retry?.maxDelay ?? defaults.maxDelay)
  const maxAttempts = Math.max(1, options.retry?.maxAttempts ?? defaults.maxAttempts)

  const semaphore = yield* Effect.makeSemaphore(1)
  /** Open while a token is held: the background fiber waits on it while there is none. */
  const held = yield* Effect.makeLatch(false)
  /** Fails once a renewal fails for good (after the policy); `keepFresh` waits on it. */
  const fatal = yield* Deferred.make<never, AuthError.AuthError>()

  let current: Entry | undefined
  /** Counts installed tokens, so that coalesced `forceRefresh` callers can tell one happened. */
  let generation = 0
  /** Whether a stale-triggered background refresh is already forked. */
  let kicked = false
  /** The token whose background renewal failed for good: not retried until a new token comes. */
  let gaveUpOn: Entry | undefined
  /** Counts renewals that failed for good, so callers queued behind one share its error. */
  let failures = 0
  let lastFailure: AuthError.AuthError | undefined
  /** The context of the latest attempt, for the policy. */
  let lastContext: RefreshContext | undefined

  const isValid = (entry: Entry | undefined, now: number): entry is Entry =>
    entry !== undefined && now < entry.validUntil
  const isFresh = (entry: Entry | undefined, now: number): entry is Entry =>
    entry !== undefined && now < entry.freshUntil

  /**
   * Computes the windows of a token set. The same access token keeps its entry, so a stale token
   * read back from the store is never mistaken for a fresh one.
   */
  const prepare = (tokens: TokenSet.TokenSet): Effect.Effect<Entry> =>
    current !== undefined && TokenSet.sameAccessToken(current.tokens, tokens) && current.tokens.expiresAt.epochMillis === tokens.expiresAt.epochMillis
      ? Effect.succeed(current)
      : Effect.map(Effect.zip(Clock.currentTimeMillis, Random.next), ([now, random]) => {
      const expiresAt = tokens.expiresAt.epochMillis
      const issuedAt = tokens.issuedAt === undefined ? now : Math.min(tokens.issuedAt.epochMillis, now)
      const lifetime = Math.max(expiresAt - issuedAt, 0)
      // Ahead by at most half the lifetime, less a random slice so that a fleet spreads out.
      const margin = Math.min(refreshAheadMs, lifetime / 2) * (1 - jitter * random)
      const skew = Math.min(expirySkewMs, lifetime / 4)
      const entry: Entry = {
        tokens,
        // Whole milliseconds: clocks tick in them, and a fractional deadline would never be reached.
        freshUntil: Math.floor(expiresAt - margin),
        validUntil: Math.floor(expiresAt - skew),
        phase: FRESH,
        token: Effect.succeed(tokens),
        headers: Effect.succeed(AuthProvider.headersFor(provider, tokens)),
        authorizationHeader: Effect.succeed(tokens.authorizationHeader)
      }
      entry.phase = phaseAt(entry, now)
      return entry
    })

  const commit = (entry: Entry): Entry => {
    if (entry !== current) {
      current = entry
      generation++
    }
    held.unsafeOpen()
    return entry
  }

  const hookFailed = (hook: string) => (cause: unknown) =>
    new AuthError.RefreshFailedError({ reason: "HookFailed", description: `the ${hook} hook failed`, cause })

  /** The provider's work for one attempt, wrapped in the hooks: start, then success or failure. */
  const runProvider = (context: RefreshContext, base: TokenSet.TokenSet | undefined) =>
    Effect.gen(function*() {
      yield* Effect.mapError(hooks.onRefreshStart(context), hookFailed("onRefreshStart"))
      const obtained = context.method === "refresh" && base !== undefined && provider.refresh !== undefined
        ? keepRefreshToken(yield* provider.refresh(base), base)
        : yield* provider.acquire
      // Computed before saving, so that nothing can fail between the save and the swap.
      const entry = yield* prepare(obtained)
      yield* store.save(key, obtained)
      yield* Effect.mapError(hooks.onRefreshSuccess(context, obtained), hookFailed("onRefreshSuccess"))
      return commit(entry)
    }).pipe(
      Effect.tapError((error) =>
        Effect.catchAllCause(
          // The hook sees the error as the callers will: a refused re-login of a running session
          // is a RefreshFailedError to them, so it is one here too.
          hooks.onRefreshFailure(context, current === undefined ? error : AuthError.renewalError(error)),
          (cause) =>
            Effect.logWarning("toshi: the onRefreshFailure hook failed; the refresh error stands", cause)
        )
      ),
      Effect.withSpan("TokenManager.refresh", {
        attributes: { key, reason: context.reason, source: context.source, method: context.method }
      })
    )

  /**
   * One attempt, under the store's lock: re-load first (another process may have renewed), and
   * ask the provider only when the store holds nothing better.
   */
  const attempt = (renewal: Renewal, attemptNo: number) =>
    store.withLock(
      key,
      Effect.gen(function*() {
        const stored = Option.getOrUndefined(yield* store.load(key))
        const now = yield* Clock.currentTimeMillis
        const mine = current?.tokens
        // A forced renewal or a re-login wants a token other than the one it holds.
        const acceptable = stored !== undefined &&
          (renewal.reason === "forced" || renewal.reason === "relogin"
            ? mine === undefined || !TokenSet.sameAccessToken(stored, mine)
            : true)
        if (acceptable) {
          const entry = yield* prepare(stored)
          if (isFresh(entry, now)) {
            yield* Effect.logDebug("toshi: using the token another holder of the store renewed")
            return commit(entry)
          }
        }
        // The store's copy is at least as new as ours: with rotating refresh tokens, ours may be spent.
        const base = stored ?? mine
        const method: RefreshContext["method"] = renewal.reason !== "relogin" && provider.refresh !== undefined &&
            base !== undefined && base.isRefreshValid(DateTime.unsafeMake(now))
          ? "refresh"
          : "acquire"
        const context: RefreshContext = {
          key,
          reason: renewal.reason,
          source: renewal.source,
          attempt: attemptNo,
          method
        }
        lastContext = context
        return yield* runProvider(context, base)
      })
    )

  /**
   * When to try again after a transient failure: exponential backoff from `initialDelay`, capped at
   * `maxDelay`, with jitter (half to all of it), never shorter than a server's `Retry-After`; while
   * the wait still ends before the deadline, or for `maxAttempts` attempts without one. Each retry
   * is logged with the error that caused it.
   */
  const retrySchedule = (renewal: Renewal) => {
    const deadline = renewal.deadline
    const waits = Schedule.exponential(initialDelay).pipe(
      Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay)),
      Schedule.jitteredWith({ min: 0.5, max: 1 }),
      Schedule.intersect(Schedule.identity<AuthError.AuthError>()),
      Schedule.modifyDelay(([, error], delay) => Duration.max(delay, AuthError.retryAfter(error) ?? Duration.zero)),
      Schedule.whileInput(AuthError.isTransient),
      Schedule.delays
    )
    const bounded = deadline === undefined
      ? Schedule.zipLeft(waits, Schedule.recurs(maxAttempts - 1))
      : Schedule.checkEffect(waits, (_, delay: Duration.Duration) =>
        Effect.map(Clock.currentTimeMillis, (now) => now + Duration.toMillis(delay) < deadline))
    return bounded.pipe(
      Schedule.intersect(Schedule.identity<AuthError.AuthError>()),
      Schedule.intersect(Schedule.count),
      Schedule.onDecision(([[delay, error], retries], decision) =>
        ScheduleDecision.isDone(decision)
          ? Effect.void
          : Effect.logInfo(`toshi: token renewal failed (${error.message}); retrying`).pipe(
            Effect.annotateLogs({ attempt: retries + 1, retryInMillis: Math.round(Duration.toMillis(delay)) })
          )
      )
    )
  }

  /** Attempts until success, a terminal error, or no more time for a transient one. */
  const attempts = (renewal: Renewal): Effect.Effect<Entry, AuthError.AuthError> =>
    Effect.suspend(() => {
      let attemptNo = 0
      return Effect.retry(Effect.suspend(() => attempt(renewal, ++attemptNo)), retrySchedule(renewal))
    })

  const giveUp = (error: AuthError.AuthError) =>
    Effect.suspend(() => {
      failures++
      lastFailure = error
      return Effect.zipRight(Deferred.fail(fatal, error), Effect.fail(error))
    })

  /**
   * A renewal with the policy behind it. Runs holding the semaphore, so there is only ever one;
   * a store failure is not the provider's and goes straight to the caller.
   */
  const renew = (renewal: Renewal): Effect.Effect<Entry, AuthError.AuthError> =>
    Effect.catchAll(attempts(renewal), (failure) => {
      if (failure._tag === "TokenStoreError") return Effect.fail(failure)
      const error = current === undefined ? failure : AuthError.renewalError(failure)
      const context: RefreshContext = lastContext ??
        { key, reason: renewal.reason, source: renewal.source, attempt: 1, method: "acquire" }
      return Effect.flatMap(policy.onRefreshFailure(context, error), (decision) =>
        decision === "Raise"
          ? giveUp(error)
          : Effect.logWarning(`toshi: ${error.message} Logging in again.`).pipe(
            Effect.zipRight(attempts({ reason: "relogin", source: renewal.source, deadline: undefined })),
            Effect.catchAll(giveUp)
          ))
    })

  /**
   * Runs `renew` once for any number of concurrent callers. Whoever waited re-checks first, and
   * shares the outcome of the renewal it waited behind: its token, or its error.
   */
  const singleFlight = (
    satisfied: (entry: Entry | undefined, now: number) => entry is Entry,
    renewal: (entry: Entry | undefined, now: number) => Renewal
  ): Effect.Effect<Entry, AuthError.AuthError> =>
    Effect.suspend(() => {
      const failuresSeen = failures
      return semaphore.withPermits(1)(
        Effect.clockWith((clock) => {
          const now = clock.unsafeCurrentTimeMillis()
          const entry = current
          if (satisfied(entry, now)) return Effect.succeed(entry)
          if (failures !== failuresSeen && lastFailure !== undefined) return Effect.fail(lastFailure)
          return renew(renewal(entry, now))
        })
      )
    })

  const forCaller = singleFlight(isValid, (entry) => ({
    reason: entry === undefined ? "missing" : "expired",
    source: "caller",
    deadline: undefined
  }))

  const inBackground = singleFlight(isFresh, (entry, now) =>
    isValid(entry, now)
      ? { reason: "stale", source: "background", deadline: entry.validUntil }
      : { reason: entry === undefined ? "missing" : "expired", source: "background", deadline: undefined })

  /** A background renewal; a failure is logged, and not retried for the same token. */
  const renewInBackground: Effect.Effect<void> = Effect.suspend(() => {
    const entry = current
    return inBackground.pipe(
      Effect.asVoid,
      Effect.catchAll((error) => {
        if (current === entry) gaveUpOn = entry
        return Effect.logWarning(`toshi: background token renewal failed: ${error.message}`)
      })
    )
  })

  /** Forks one background renewal for a stale token, unless one is under way or has failed. */
  const kick: Effect.Effect<void> = Effect.suspend(() => {
    if (kicked || gaveUpOn === current) return Effect.void
    kicked = true
    return Effect.asVoid(Effect.forkIn(
      Effect.ensuring(
        renewInBackground,
        Effect.sync(() => {
          kicked = false
        })
      ),
      scope
    ))
  })

  /** Everything but a fresh token: a stale one is served while one renewal starts; else callers wait. */
  const serveSlow = <A>(select: (entry: Entry) => Effect.Effect<A>): Effect.Effect<A, AuthError.AuthError> =>
    Effect.clockWith((clock) => {
      const entry = current
      if (entry !== undefined && entry.phase === STALE) {
        // Off the hot path, the clock is worth reading: a late timer must not let an expired token out.
        if (clock.unsafeCurrentTimeMillis() < entry.validUntil) return Effect.zipRight(kick, select(entry))
        entry.phase = EXPIRED
      }
      return Effect.flatMap(forCaller, select)
    })
  const slowToken = serveSlow((entry) => entry.token)
  const slowHeaders = serveSlow((entry) => entry.headers)
  const slowAuthorization = serveSlow((entry) => entry.authorizationHeader)

  const forceRefresh: Effect.Effect<TokenSet.TokenSet, AuthError.AuthError> = Effect.suspend(() => {
    const seen = generation
    return Effect.map(
      singleFlight(
        (entry, now): entry is Entry => generation !== seen && isValid(entry, now),
        () => ({ reason: "forced", source: "caller", deadline: undefined })
      ),
      (entry) => entry.tokens
    )
  })

  const clear: Effect.Effect<void, AuthError.TokenStoreError> = semaphore.withPermits(1)(
    Effect.zipRight(
      store.withLock(key, store.clear(key)),
      Effect.sync(() => {
        current = undefined
        generation++
        held.unsafeClose()
      })
    )
  )

  /**
   * The watcher fiber: moves the current token from fresh to stale to expired on time and, unless
   * background refresh is off, renews it as it turns stale. Without a token it waits for one; it
   * never logs anybody in on its own.
   */
  const watcher = Effect.gen(function*() {
    while (true) {
      yield* held.await
      const entry = current
      if (entry === undefined) {
        held.unsafeClose()
        continue
      }
      const now = yield* Clock.currentTimeMillis
      const phase = (entry.phase = phaseAt(entry, now))
      const renewing = options.backgroundRefresh !== false && gaveUpOn !== entry
      if (phase === STALE) {
        // The renewal runs beside the watch, so the token still turns expired on time when it is slow.
        if (renewing) yield* kick
        yield* Effect.sleep(Duration.millis(Math.min(entry.validUntil - now, watchIntervalMs)))
        continue
      }
      if (phase === EXPIRED) {
        if (renewing) {
          yield* renewInBackground
          continue
        }
        // Nothing left to watch until a caller brings a new token.
        if (current === entry) held.unsafeClose()
        continue
      }
      yield* Effect.sleep(Duration.millis(Math.min(entry.freshUntil - now, watchIntervalMs)))
    }
  })

  yield* Effect.forkIn(Effect.interruptible(watcher), scope)

  // The hot path: a fresh token in memory is handed out with no lock, no clock read, no I/O and no
  // allocation. One accessor per value, so that the fresh case is a property check and nothing more.
  const service: TokenManagerService = {
    key,
    token: Effect.suspend(() => {
      const entry = current
      return entry !== undefined && entry.phase === FRESH ? entry.token : slowToken
    }),
    headers: Effect.suspend(() => {
      const entry = current
      return entry !== undefined && entry.phase === FRESH ? entry.headers : slowHeaders
    }),
    authorizationHeader: Effect.suspend(() => {
      const entry = current
      return entry !== undefined && entry.phase === FRESH ? entry.authorizationHeader : slowAuthorization
    }),
    forceRefresh,
    clear,
    keepFresh: Deferred.await(fatal)
  }
  return service
})

/** A server may omit the refresh token on renewal (RFC 6749 §6): the old one then stays in force. */
const keepRefreshToken = (renewed: TokenSet.TokenSet, base: TokenSet.TokenSet): TokenSet.TokenSet =>
  renewed.refreshToken !== undefined || base.refreshToken === undefined
    ? renewed
    : TokenSet.make({
      ...renewed,
      refreshToken: base.refreshToken,
      ...(base.refreshExpiresAt === undefined ? {} : { refreshExpiresAt: base.refreshExpiresAt })
    })
