/**
 * Token stores over what you already run: any client with `load`/`save`/`clear` methods (Redis,
 * a database, a secrets manager), or an `@effect/platform` `KeyValueStore`.
 *
 * @since 0.1.0
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { AuthError, TokenSet, TokenStore } from "@toshi/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"

type MaybePromise<A> = A | PromiseLike<A>

/**
 * A store's methods, plain or async. Values are JSON strings (what `TokenSet.encode` gives,
 * serialised), so any string store fits; they hold live secrets, so keep the store private.
 *
 * @since 0.1.0
 * @category models
 */
export interface PromiseStore {
  readonly load: (key: string) => MaybePromise<string | null | undefined>
  readonly save: (key: string, value: string) => MaybePromise<unknown>
  readonly clear: (key: string) => MaybePromise<unknown>
  /**
   * Runs `f` holding a lock for `key` across every holder of the store (e.g. a Redis lease).
   * Without one, renewals are serialised within this process only.
   */
  readonly withLock?: (<A>(key: string, f: () => Promise<A>) => Promise<A>) | undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const fromPromise = (store: PromiseStore): TokenStore.TokenStoreService => {
  const local = TokenStore.makeMemory()
  const call = <A>(what: string, f: () => MaybePromise<A>) =>
    Effect.tryPromise({
      try: async () => await f(),
      catch: (cause) =>
        new AuthError.TokenStoreError({
          reason: "Io",
          description: `the custom token store failed to ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
    })
  return {
    load: (key) =>
      Effect.flatMap(call("load", () => store.load(key)), (value) =>
        value === null || value === undefined ? Effect.succeedNone : Effect.map(decode(key, value), Option.some)),
    save: (key, tokens) => Effect.asVoid(call("save", () => store.save(key, JSON.stringify(TokenSet.encode(tokens))))),
    clear: (key) => Effect.asVoid(call("clear", () => store.clear(key))),
    withLock: store.withLock === undefined ? local.withLock : lockWith(store.withLock, call)
  }
}

/** Runs the effect inside the store's own lock, in this fiber's runtime, and re-raises its outcome. */
const lockWith = (
  lock: NonNullable<PromiseStore["withLock"]>,
  call: <A>(what: string, f: () => MaybePromise<A>) => Effect.Effect<A, AuthError.TokenStoreError>
) =>
<A, E, R>(key: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | AuthError.TokenStoreError, R> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<R>()
    const exit = yield* call("lock", () => lock(key, () => Runtime.runPromiseExit(runtime)(effect)))
    return yield* exit
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layerPromise = (store: PromiseStore): Layer.Layer<TokenStore.TokenStore> =>
  TokenStore.layer(fromPromise(store))

/**
 * A store over the `KeyValueStore` in context (memory, a file system, browser storage, …), with
 * keys prefixed by `prefix` (default `"toshi:"`). Its lock reaches within this process.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromKeyValueStore = (
  kv: KeyValueStore.KeyValueStore,
  prefix = "toshi:"
): TokenStore.TokenStoreService => {
  const local = TokenStore.makeMemory()
  const failed = (what: string) => (cause: unknown) =>
    new AuthError.TokenStoreError({ reason: "Io", description: `the key-value store failed to ${what}`, cause })
  return {
    load: (key) =>
      kv.get(prefix + key).pipe(
        Effect.mapError(failed("load")),
        Effect.flatMap(Option.match({
          onNone: () => Effect.succeedNone,
          onSome: (value) => Effect.map(decode(key, value), Option.some)
        }))
      ),
    save: (key, tokens) => kv.set(prefix + key, JSON.stringify(TokenSet.encode(tokens))).pipe(Effect.mapError(failed("save"))),
    clear: (key) => kv.remove(prefix + key).pipe(Effect.mapError(failed("clear"))),
    withLock: local.withLock
  }
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layerKeyValueStore = (prefix?: string): Layer.Layer<TokenStore.TokenStore, never, KeyValueStore.KeyValueStore> =>
  Layer.effect(TokenStore.TokenStore, Effect.map(KeyValueStore.KeyValueStore, (kv) => fromKeyValueStore(kv, prefix)))

const decode = (key: string, value: string) =>
  Effect.try({
    try: () => JSON.parse(value) as unknown,
    catch: () => undefined
  }).pipe(
    Effect.flatMap(TokenSet.decodeUnknown),
    Effect.mapError((cause) =>
      new AuthError.TokenStoreError({
        reason: "Corrupt",
        description: `the stored value for "${key}" is not a token set: clear it, then log in again`,
        ...(cause === undefined ? {} : { cause })
      })
    )
  )
