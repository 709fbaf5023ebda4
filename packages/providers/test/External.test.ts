import { assert, describe, it } from "@effect/vitest"
import { AuthError } from "@toshi/core"
import { External } from "@toshi/providers"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { managerFor } from "./utils.js"

const jwtExpiringAt = (exp: number) =>
  [{ alg: "none" }, { sub: "x", exp }].map((part) => Encoding.encodeBase64Url(JSON.stringify(part))).join(".") + ".sig"

describe("External", () => {
  it.scoped("takes the token from a plain, a Promise or an Effect function", () =>
    Effect.gen(function*() {
      for (
        const getToken of [
          () => "plain-token",
          () => Promise.resolve("plain-token"),
          () => Effect.succeed("plain-token"),
          () => ({ accessToken: Redacted.make("plain-token"), expiresIn: 60 })
        ]
      ) {
        const manager = yield* managerFor(External.make({ key: "ext", getToken }))
        assert.strictEqual(yield* manager.authorizationHeader, "Bearer plain-token")
      }
    }))

  it.scoped("is called again when the token nears its expiry", () =>
    Effect.gen(function*() {
      let calls = 0
      const manager = yield* managerFor(
        External.make({ key: "ext", getToken: () => ({ accessToken: `t${++calls}`, expiresIn: 600 }) }),
        { refreshAhead: "1 minute", jitter: 0 }
      )
      assert.strictEqual(yield* manager.authorizationHeader, "Bearer t1")
      yield* TestClock.adjust("8 minutes")
      assert.strictEqual(calls, 1)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(calls, 2)
      assert.strictEqual(yield* manager.authorizationHeader, "Bearer t2")
    }))

  it.effect("expiresIn counts from when the function was asked, however long it took", () =>
    Effect.gen(function*() {
      const provider = External.make({
        key: "ext",
        getToken: () => Effect.as(TestClock.adjust("20 seconds"), { accessToken: "slow-token", expiresIn: 60 })
      })
      const tokens = yield* provider.acquire
      assert.strictEqual(tokens.issuedAt!.epochMillis, 0)
      assert.strictEqual(tokens.expiresAt.epochMillis, 60_000)
    }))

  it.scoped("a JWT's exp claim sets the expiry when none is given", () =>
    Effect.gen(function*() {
      const token = jwtExpiringAt(3600)
      const manager = yield* managerFor(External.make({ key: "ext", getToken: () => token }))
      const tokens = yield* manager.token
      assert.strictEqual(tokens.expiresAt.epochMillis, 3_600_000)
    }))

  it.scoped("an empty result is a NoCredentialsError", () =>
    Effect.gen(function*() {
      for (const getToken of [() => "", () => null, () => Promise.resolve(undefined), () => ({ accessToken: " " })]) {
        const manager = yield* managerFor(External.make({ key: "ext", getToken }))
        const error = yield* Effect.flip(manager.token)
        assert.strictEqual(error._tag, "NoCredentialsError")
        assert.strictEqual(error._tag === "NoCredentialsError" && error.reason, "EmptyToken")
      }
    }))

  it.scoped("a function that throws or rejects is a LoginFailedError, and an Effect's own error stays typed", () =>
    Effect.gen(function*() {
      for (
        const getToken of [
          () => {
            throw new Error("vault sealed")
          },
          () => Promise.reject(new Error("vault sealed"))
        ]
      ) {
        const manager = yield* managerFor(External.make({ key: "ext", getToken }))
        const error = yield* Effect.flip(manager.token)
        assert.strictEqual(error._tag === "LoginFailedError" && error.reason, "ExternalFailed")
      }
      const typed = yield* managerFor(External.make({
        key: "ext",
        getToken: () => Effect.fail(new AuthError.NoCredentialsError({ reason: "NotLoggedIn", description: "no" }))
      }))
      assert.strictEqual((yield* Effect.flip(typed.token))._tag, "NoCredentialsError")
    }))
})
