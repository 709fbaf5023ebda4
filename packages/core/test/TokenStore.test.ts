import { assert, describe, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { TokenSet, TokenStore } from "../src/index.js"

const tokens = TokenSet.make({ accessToken: Redacted.make("a"), expiresAt: DateTime.unsafeMake(0) })

describe("TokenStore.layerMemory", () => {
  it.effect("loads what was saved, per key, and forgets what was cleared", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.TokenStore
      assert.isTrue(Option.isNone(yield* store.load("a")))
      yield* store.save("a", tokens)
      assert.strictEqual(Option.getOrThrow(yield* store.load("a")), tokens)
      assert.isTrue(Option.isNone(yield* store.load("b")))
      yield* store.clear("a")
      assert.isTrue(Option.isNone(yield* store.load("a")))
    }).pipe(Effect.provide(TokenStore.layerMemory)))

  it.effect("withLock admits one holder per key at a time, and other keys freely", () =>
    Effect.gen(function*() {
      const store = TokenStore.makeMemory()
      const order: Array<string> = []
      const hold = (name: string, key: string) =>
        store.withLock(
          key,
          Effect.gen(function*() {
            order.push(`${name}+`)
            yield* Effect.sleep("1 second")
            order.push(`${name}-`)
          })
        )
      const fiber = yield* Effect.fork(
        Effect.all([hold("a1", "a"), hold("a2", "a"), hold("b1", "b")], { concurrency: "unbounded" })
      )
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const at = (event: string) => order.indexOf(event)
      assert.isAbove(at("a2+"), at("a1-"), "the second holder of key a waited for the first")
      assert.isBelow(at("b1+"), at("a1-"), "key b did not wait for key a")
      assert.strictEqual(order.length, 6)
    }))
})
