import { assert, describe, it } from "@effect/vitest"
import { AuthProvider } from "@toshi/core"
import { ApiKey } from "@toshi/providers"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { managerFor } from "./utils.js"

describe("ApiKey", () => {
  it.scoped("sends the key in x-api-key, not as a bearer token, and keeps serving it", () =>
    Effect.gen(function*() {
      const manager = yield* managerFor(ApiKey.make({ apiKey: Redacted.make("k-123") }))
      assert.deepStrictEqual(yield* manager.headers, { "x-api-key": "k-123" })
      yield* TestClock.adjust("6 hours")
      assert.deepStrictEqual(yield* manager.headers, { "x-api-key": "k-123" })
    }))

  it.scoped("uses a custom header name", () =>
    Effect.gen(function*() {
      const manager = yield* managerFor(ApiKey.make({ apiKey: Redacted.make("k"), header: "X-Toshi-Key" }))
      assert.deepStrictEqual(yield* manager.headers, { "x-toshi-key": "k" })
    }))

  it.scoped("an empty key is a NoCredentialsError that says what to set", () =>
    Effect.gen(function*() {
      const manager = yield* managerFor(ApiKey.make({ apiKey: Redacted.make("  ") }))
      const error = yield* Effect.flip(manager.headers)
      assert.strictEqual(error._tag, "NoCredentialsError")
      assert.include(error.message, "NZSHM22_TOSHI_API_KEY")
    }))

  it.scoped("layerConfig reads NZSHM22_TOSHI_API_KEY, and names it when it is missing", () =>
    Effect.gen(function*() {
      const withKey = Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["NZSHM22_TOSHI_API_KEY", "k-env"]])))
      const provider = yield* AuthProvider.AuthProvider.pipe(Effect.provide(ApiKey.layerConfig().pipe(Layer.provide(withKey))))
      const manager = yield* managerFor(provider)
      assert.deepStrictEqual(yield* manager.headers, { "x-api-key": "k-env" })
      const empty = Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))
      const error = yield* Effect.flip(AuthProvider.AuthProvider.pipe(Effect.provide(ApiKey.layerConfig().pipe(Layer.provide(empty)))))
      assert.strictEqual(error._tag, "ConfigIncompleteError")
      assert.deepStrictEqual(error.missing, ["NZSHM22_TOSHI_API_KEY"])
      assert.include(error.message, "NZSHM22_TOSHI_API_KEY")
    }))
})
