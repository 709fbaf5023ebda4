import { assert, describe, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { TokenSet } from "../src/index.js"

const at = (iso: string) => DateTime.unsafeMake(iso)

const sample = TokenSet.make({
  accessToken: Redacted.make("access-secret"),
  refreshToken: Redacted.make("refresh-secret"),
  refreshExpiresAt: at("2030-01-02T00:00:00Z"),
  idToken: Redacted.make("id-secret"),
  expiresAt: at("2030-01-01T01:00:00Z"),
  issuedAt: at("2030-01-01T00:00:00Z"),
  scope: ["read", "write"]
})

describe("TokenSet", () => {
  it("defaults the token type to Bearer and builds the Authorization header", () => {
    assert.strictEqual(sample.tokenType, "Bearer")
    assert.strictEqual(sample.authorizationHeader, "Bearer access-secret")
    const dpop = new TokenSet.TokenSet({ accessToken: Redacted.make("x"), tokenType: "DPoP", expiresAt: at("2030-01-01T00:00:00Z") })
    assert.strictEqual(dpop.authorizationHeader, "DPoP x")
    assert.deepStrictEqual(dpop.scope, [])
  })

  it("is valid until expiry less the skew", () => {
    assert.isTrue(sample.isAccessValid(at("2030-01-01T00:59:00Z")))
    assert.isFalse(sample.isAccessValid(at("2030-01-01T00:59:00Z"), "2 minutes"))
    assert.isFalse(sample.isAccessValid(at("2030-01-01T01:00:00Z")))
  })

  it("knows whether its refresh token can still be used", () => {
    assert.isTrue(sample.isRefreshValid(at("2030-01-01T12:00:00Z")))
    assert.isFalse(sample.isRefreshValid(at("2030-01-02T00:00:00Z")))
    const noRefresh = TokenSet.make({ accessToken: Redacted.make("x"), expiresAt: at("2030-01-01T00:00:00Z") })
    assert.isFalse(noRefresh.isRefreshValid(at("2020-01-01T00:00:00Z")))
    const openEnded = TokenSet.make({ ...noRefresh, refreshToken: Redacted.make("r") })
    assert.isTrue(openEnded.isRefreshValid(at("2099-01-01T00:00:00Z")))
  })

  it("shows no secret when printed, serialised or inspected", () => {
    for (const text of [String(sample), JSON.stringify(sample), `${sample}`, JSON.stringify({ nested: [sample] })]) {
      assert.notInclude(text, "secret")
    }
    assert.include(String(sample), "<redacted>")
  })

  it.effect("round-trips through the persisted form, which alone holds the plain secrets", () =>
    Effect.gen(function*() {
      const encoded = TokenSet.encode(sample)
      assert.strictEqual(encoded.accessToken, "access-secret")
      assert.strictEqual(encoded.expiresAt, "2030-01-01T01:00:00.000Z")
      const decoded = yield* TokenSet.decodeUnknown(JSON.parse(JSON.stringify(encoded)))
      assert.strictEqual(Redacted.value(decoded.refreshToken!), "refresh-secret")
      assert.isTrue(DateTime.Equivalence(decoded.expiresAt, sample.expiresAt))
      assert.deepStrictEqual(decoded.scope, ["read", "write"])
    }))

  it.effect("rejects a persisted form with missing or malformed fields", () =>
    Effect.gen(function*() {
      for (const bad of [{}, { accessToken: "x" }, { accessToken: 1, expiresAt: "2030-01-01T00:00:00Z" }, {
        accessToken: "x",
        expiresAt: "not a date"
      }, null, "token"]) {
        const result = yield* Effect.either(TokenSet.decodeUnknown(bad))
        assert.isTrue(Either.isLeft(result), JSON.stringify(bad))
      }
    }))
})
