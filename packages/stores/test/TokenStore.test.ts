import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { assert, describe, it } from "@effect/vitest"
import { TokenSet } from "@toshi/core"
import { TokenStore } from "@toshi/stores"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

const tokens = TokenSet.make({
  accessToken: Redacted.make("access"),
  refreshToken: Redacted.make("refresh"),
  expiresAt: DateTime.unsafeMake(1_800_000_000_000)
})

describe("TokenStore.fromPromise", () => {
  it.effect("works over async methods, storing JSON strings", () =>
    Effect.gen(function*() {
      const backing = new Map<string, string>()
      const store = TokenStore.fromPromise({
        load: async (key) => backing.get(key),
        save: async (key, value) => void backing.set(key, value),
        clear: async (key) => backing.delete(key)
      })
      yield* store.save("k", tokens)
      assert.strictEqual(JSON.parse(backing.get("k")!).refreshToken, "refresh")
      const loaded = Option.getOrThrow(yield* store.load("k"))
      assert.strictEqual(Redacted.value(loaded.refreshToken!), "refresh")
      yield* store.clear("k")
      assert.isTrue(Option.isNone(yield* store.load("k")))
    }))

  it.effect("works over plain methods too", () =>
    Effect.gen(function*() {
      const backing: Record<string, string> = {}
      const store = TokenStore.fromPromise({
        load: (key) => backing[key] ?? null,
        save: (key, value) => {
          backing[key] = value
        },
        clear: (key) => delete backing[key]
      })
      yield* store.save("k", tokens)
      assert.isTrue(Option.isSome(yield* store.load("k")))
    }))

  it.effect("a throwing or rejecting method is a TokenStoreError; a garbage value is Corrupt", () =>
    Effect.gen(function*() {
      const store = TokenStore.fromPromise({
        load: (key) => key === "garbage" ? "{not json" : key === "wrong" ? "{\"a\":1}" : Promise.reject(new Error("ECONNREFUSED")),
        save: () => {
          throw new Error("READONLY")
        },
        clear: async () => undefined
      })
      const loadError = yield* Effect.flip(store.load("k"))
      assert.strictEqual(loadError.reason, "Io")
      assert.include(loadError.message, "ECONNREFUSED")
      assert.include((yield* Effect.flip(store.save("k", tokens))).message, "READONLY")
      assert.strictEqual((yield* Effect.flip(store.load("garbage"))).reason, "Corrupt")
      assert.strictEqual((yield* Effect.flip(store.load("wrong"))).reason, "Corrupt")
    }))

  it.effect("uses the store's own lock when it has one, and passes the effect's outcome through", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      const store = TokenStore.fromPromise({
        load: () => null,
        save: () => undefined,
        clear: () => undefined,
        withLock: async (key, f) => {
          events.push(`lock ${key}`)
          try {
            return await f()
          } finally {
            events.push(`unlock ${key}`)
          }
        }
      })
      const value = yield* store.withLock("k", Effect.sync(() => events.push("work")).pipe(Effect.as(42)))
      assert.strictEqual(value, 42)
      assert.deepStrictEqual(events, ["lock k", "work", "unlock k"])
      const failure = yield* Effect.flip(store.withLock("k", Effect.fail("inner")))
      assert.strictEqual(failure, "inner")
    }))
})

describe("TokenStore.layerKeyValueStore", () => {
  it.effect("keeps token sets under a prefix in any KeyValueStore", () =>
    Effect.gen(function*() {
      const kv = yield* KeyValueStore.KeyValueStore
      const store = TokenStore.fromKeyValueStore(kv, "app:")
      yield* store.save("k", tokens)
      assert.isTrue(Option.isSome(yield* kv.get("app:k")))
      assert.strictEqual(Redacted.value(Option.getOrThrow(yield* store.load("k")).accessToken), "access")
      yield* kv.set("app:bad", "[]")
      assert.strictEqual((yield* Effect.flip(store.load("bad"))).reason, "Corrupt")
      yield* store.clear("k")
      assert.isTrue(Option.isNone(yield* store.load("k")))
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))
})
