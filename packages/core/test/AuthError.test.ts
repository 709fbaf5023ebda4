import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { AuthError } from "../src/index.js"

describe("AuthError", () => {
  it("every error is tagged with its class name and says what to do next", () => {
    const errors: Array<AuthError.AuthError> = [
      new AuthError.NoCredentialsError({ reason: "NotLoggedIn", description: "no saved session; run `toshi login`" }),
      new AuthError.RefreshFailedError({ reason: "InvalidGrant", description: "invalid_grant" }),
      new AuthError.LoginFailedError({ reason: "InvalidCredentials", description: "wrong user or password" }),
      new AuthError.ConfigIncompleteError({ subject: "Cognito", missing: ["user_pool_id", "region"], reason: "MissingKeys" }),
      new AuthError.IdentityPoolError({ reason: "GetIdFailed", description: "not authorized" }),
      new AuthError.TokenStoreError({ reason: "Corrupt", description: "not JSON", path: "/home/u/.toshi/credentials" })
    ]
    for (const error of errors) {
      assert.strictEqual(error._tag, error.constructor.name)
      assert.isTrue(AuthError.isAuthError(error))
      assert.instanceOf(error, Error)
      assert.isAbove(error.message.length, 20)
    }
    assert.strictEqual(
      errors[3]!.message,
      "Cognito config missing required keys: user_pool_id, region. Set them in the config file or the environment."
    )
    assert.include(errors[1]!.message, "log in again")
    assert.include(errors[5]!.message, "/home/u/.toshi/credentials")
    assert.isFalse(AuthError.isAuthError(new Error("x")))
  })

  it("network, timeout, 5xx and 429 are transient; a rejected grant is not", () => {
    const transient = ["Transport", "Timeout", "ServerError", "RateLimited"] as const
    for (const reason of transient) {
      assert.isTrue(AuthError.isTransient(new AuthError.RefreshFailedError({ reason, description: "" })))
      assert.isTrue(AuthError.isTransient(new AuthError.LoginFailedError({ reason, description: "" })))
    }
    assert.isFalse(AuthError.isTransient(new AuthError.RefreshFailedError({ reason: "InvalidGrant", description: "" })))
    assert.isFalse(AuthError.isTransient(new AuthError.LoginFailedError({ reason: "InvalidClient", description: "" })))
    assert.isFalse(AuthError.isTransient(new AuthError.TokenStoreError({ reason: "Io", description: "" })))
  })

  it("a refused grant while renewing becomes a RefreshFailedError that keeps the original", () => {
    const refused = new AuthError.LoginFailedError({
      reason: "RateLimited",
      description: "throttled",
      retryAfter: Duration.seconds(3)
    })
    const renewed = AuthError.renewalError(refused)
    assert.strictEqual(renewed._tag, "RefreshFailedError")
    if (renewed._tag === "RefreshFailedError") {
      assert.strictEqual(renewed.reason, "RateLimited")
      assert.strictEqual(renewed.cause, refused)
      assert.isTrue(Duration.equals(renewed.retryAfter!, Duration.seconds(3)))
    }
    const denied = AuthError.renewalError(new AuthError.LoginFailedError({ reason: "AccessDenied", description: "" }))
    assert.strictEqual(denied._tag === "RefreshFailedError" && denied.reason, "Rejected")
    // A refused client says what to do once, whether it was refused at login or at a renewal.
    const client = new AuthError.LoginFailedError({ reason: "InvalidClient", description: "invalid_client" })
    for (const error of [client, AuthError.renewalError(client)]) {
      assert.strictEqual(error.message.split("check the client id and secret").length, 2, error.message)
    }
    const store = new AuthError.TokenStoreError({ reason: "Io", description: "disk full" })
    assert.strictEqual(AuthError.renewalError(store), store)
  })

  it("a token file that cannot be read or written says what to check; a custom store's error speaks for itself", () => {
    const denied = new AuthError.TokenStoreError({ reason: "Permission", description: "could not write the file", path: "/home/ada/.toshi/tokens.json" })
    assert.strictEqual(
      denied.message,
      "Token store Permission at /home/ada/.toshi/tokens.json: could not write the file. " +
        "Check that this user may read and write the file and its directory (their owner and mode)."
    )
    const full = new AuthError.TokenStoreError({ reason: "Io", description: "could not write the file (ENOSPC: no space left on device)", path: "/t" })
    assert.include(full.message, "(ENOSPC: no space left on device). Check the path and the file system it is on")
    const custom = new AuthError.TokenStoreError({ reason: "Io", description: "the custom token store failed to save: quota exceeded" })
    assert.strictEqual(custom.message, "Token store Io: the custom token store failed to save: quota exceeded")
    // Corrupt files and lock timeouts carry their own advice in the description: none is added.
    const corrupt = new AuthError.TokenStoreError({ reason: "Corrupt", description: "not JSON; remove it, then log in again", path: "/t" })
    assert.strictEqual(corrupt.message, "Token store Corrupt at /t: not JSON; remove it, then log in again")
  })

  it.effect("errors are yieldable and can be caught by tag", () =>
    Effect.gen(function*() {
      const reason = yield* new AuthError.NoCredentialsError({ reason: "EmptyToken", description: "empty" }).pipe(
        Effect.catchTag("NoCredentialsError", (e) => Effect.succeed(e.reason))
      )
      assert.strictEqual(reason, "EmptyToken")
    }))
})
