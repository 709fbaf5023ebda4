import { assert, describe, it } from "@effect/vitest"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import { Jwt } from "../src/index.js"

const jwt = (payload: unknown) =>
  [Encoding.encodeBase64Url(JSON.stringify({ alg: "RS256" })), Encoding.encodeBase64Url(JSON.stringify(payload)), "sig"]
    .join(".")

describe("Jwt", () => {
  it("reads exp and iat without verifying", () => {
    const token = jwt({ sub: "u", iat: 1_700_000_000, exp: 1_700_003_600 })
    assert.strictEqual(Option.getOrThrow(Jwt.unverifiedExpiry(token)).epochMillis, 1_700_003_600_000)
    assert.strictEqual(Option.getOrThrow(Jwt.unverifiedIssuedAt(token)).epochMillis, 1_700_000_000_000)
    assert.strictEqual(Option.getOrThrow(Jwt.unverifiedClaims(token))["sub"], "u")
  })

  it("gives None for anything that is not a JWT with those claims", () => {
    for (const token of ["opaque", "a.b", "a.!!!.c", jwt([1, 2]), jwt("text"), `x.${Encoding.encodeBase64Url("{no json")}.y`]) {
      assert.isTrue(Option.isNone(Jwt.unverifiedClaims(token)), token)
    }
    assert.isTrue(Option.isNone(Jwt.unverifiedExpiry(jwt({ exp: "soon" }))))
  })
})
