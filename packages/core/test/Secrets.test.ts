import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as TestClock from "effect/TestClock"
import { AuthError, AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "../src/index.js"
import { makeCountingProvider, SECRET_MARK } from "./utils.js"

describe("secrets", () => {
  it.scoped("no token appears in any log line or error, through refreshes, retries and failures", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.map(Logger.logfmtLogger, (line) => void lines.push(line)))
      const provider = makeCountingProvider({ lifetime: "10 minutes", latency: "1 second" })
      const hooks = RefreshHooks.layer({
        // Users log what hooks give them: the token set and the error must be safe to log whole.
        onRefreshSuccess: (context, tokens) => Effect.logInfo("refreshed", context, tokens),
        onRefreshFailure: (context, error) => Effect.logWarning("refresh failed", context, error, Cause.fail(error))
      })
      const errors: Array<AuthError.AuthError> = []
      yield* Effect.gen(function*() {
        const manager = yield* TokenManager.TokenManager
        const first = yield* Effect.fork(manager.token)
        yield* TestClock.adjust("1 second")
        yield* Effect.logInfo("first token", yield* first.await)
        // A transient failure, a retry, then success in the background.
        provider.failures.refresh.push(
          new AuthError.RefreshFailedError({ reason: "Transport", description: "connection reset" })
        )
        yield* TestClock.adjust("9 minutes")
        yield* TestClock.adjust("1 minute")
        // A terminal failure that reaches the caller and the daemon.
        for (let i = 0; i < 5; i++) {
          provider.failures.refresh.push(
            new AuthError.RefreshFailedError({ reason: "InvalidGrant", description: "refresh token revoked" })
          )
        }
        yield* TestClock.adjust("30 minutes")
        const failed = yield* Effect.fork(Effect.flip(manager.token))
        yield* TestClock.adjust("1 minute")
        const error = yield* failed.await
        if (error._tag === "Success") errors.push(error.value)
        yield* Effect.logError("gave up", error)
      }).pipe(
        Effect.provide(
          TokenManager.layer({ refreshAhead: "2 minutes" }).pipe(
            Layer.provide([
              AuthProvider.layer(provider.service),
              TokenStore.layerMemory,
              RefreshPolicy.layer(RefreshPolicy.raise),
              hooks
            ])
          )
        ),
        Effect.provide(capture),
        Logger.withMinimumLogLevel(LogLevel.All)
      )
      assert.isAbove(provider.counts.refresh, 1)
      assert.strictEqual(errors.length, 1)
      assert.isAbove(lines.length, 4)
      assert.isTrue(lines.some((line) => line.includes("retrying")))
      for (const line of lines) assert.notInclude(line, SECRET_MARK)
      for (const error of errors) {
        assert.notInclude(error.message, SECRET_MARK)
        assert.notInclude(String(error), SECRET_MARK)
        assert.notInclude(JSON.stringify(error), SECRET_MARK)
      }
    }))
})
