import { assert, describe, it } from "@effect/vitest"
import * as fc from "effect/FastCheck"
import * as Timestamp from "../src/Timestamp.js"

const invalid = (result: number | Timestamp.InvalidTime): Timestamp.InvalidTime => {
  assert.isTrue(Timestamp.isInvalid(result), `expected an InvalidTime, got ${String(result)}`)
  return result as Timestamp.InvalidTime
}

describe("Timestamp", () => {
  it("reads a NumericDate as epoch milliseconds", () => {
    assert.strictEqual(Timestamp.fromEpochSeconds("exp", 1_767_225_600), 1_767_225_600_000)
    assert.strictEqual(Timestamp.fromEpochSeconds("exp", 1.5), 1_500)
  })

  it("an exp of ±1e20, NaN or a string is a typed answer naming the field, not a throw", () => {
    for (const value of [1e20, -1e20, 8.64e15, -1]) {
      const issue = invalid(Timestamp.fromEpochSeconds("exp", value))
      assert.strictEqual(issue.field, "exp")
      assert.strictEqual(issue.problem, "OutOfRange")
      assert.include(issue.message, `"exp"`)
    }
    assert.strictEqual(invalid(Timestamp.fromEpochSeconds("exp", Number.NaN)).problem, "NotANumber")
    assert.strictEqual(invalid(Timestamp.fromEpochSeconds("exp", "1767225600")).problem, "NotANumber")
    assert.strictEqual(invalid(Timestamp.fromEpochSeconds("exp", undefined)).problem, "Missing")
  })

  it("an expires_in of 1e20 or below zero is refused; a numeric string is read", () => {
    assert.strictEqual(invalid(Timestamp.fromSeconds("expires_in", 1e20)).problem, "OutOfRange")
    assert.strictEqual(invalid(Timestamp.fromSeconds("expires_in", -5)).problem, "Negative")
    assert.strictEqual(invalid(Timestamp.fromSeconds("expires_in", Infinity)).problem, "NotANumber")
    assert.strictEqual(Timestamp.fromSeconds("expires_in", "3600"), 3_600_000)
    assert.strictEqual(Timestamp.fromSeconds("expires_in", 0), 0)
  })

  it("afterSeconds checks the sum as an instant too", () => {
    const now = Date.parse("2026-03-01T00:00:00Z")
    assert.strictEqual(Timestamp.afterSeconds("expires_in", now, 60), now + 60_000)
    assert.strictEqual(
      invalid(Timestamp.afterSeconds("expires_in", Timestamp.maxEpochMillis, 60)).problem,
      "OutOfRange"
    )
  })

  it("reads the stored forms the shared credentials file has: seconds, numeric strings, ISO with or without a zone", () => {
    const t = Date.parse("2026-03-01T12:00:00Z")
    assert.strictEqual(Timestamp.fromStored("expires_at", t / 1000), t)
    assert.strictEqual(Timestamp.fromStored("expires_at", String(t / 1000)), t)
    assert.strictEqual(Timestamp.fromStored("expires_at", "2026-03-01T12:00:00Z"), t)
    assert.strictEqual(Timestamp.fromStored("expires_at", "2026-03-01T12:00:00"), t)
    assert.strictEqual(Timestamp.fromStored("expires_at", "2026-03-01T14:00:00+02:00"), t)
    assert.strictEqual(Timestamp.fromStored("expires_at", "2026-03-01T12:00:00.000123"), t)
    assert.strictEqual(invalid(Timestamp.fromStored("expires_at", "tomorrow")).problem, "NotADate")
    assert.strictEqual(invalid(Timestamp.fromStored("expires_at", "+275761-01-01T00:00:00Z")).problem, "NotADate")
    assert.strictEqual(invalid(Timestamp.fromStored("expires_at", "1e20")).problem, "NotADate")
    assert.strictEqual(invalid(Timestamp.fromStored("expires_at", {})).problem, "NotADate")
  })

  it("shows at most 40 characters of the value", () => {
    const issue = invalid(Timestamp.fromStored("expires_at", "9".repeat(5000)))
    assert.isAtMost(issue.shown.length, 40)
    assert.isAtMost(issue.message.length, 120)
  })

  it.prop("any input is a time in range or an InvalidTime, never a throw", [fc.anything()], ([value]) => {
    for (const read of [Timestamp.fromEpochSeconds, Timestamp.fromEpochMillis, Timestamp.fromSeconds, Timestamp.fromStored]) {
      const result = read("f", value)
      if (typeof result === "number") {
        assert.isTrue(Number.isSafeInteger(result) && result >= 0 && result <= Timestamp.maxEpochMillis)
        assert.doesNotThrow(() => new Date(result).toISOString())
      } else {
        assert.isTrue(Timestamp.isInvalid(result))
        assert.isString(result.message)
      }
    }
  })

  it.prop("epoch seconds in range round-trip", [fc.integer({ min: 0, max: 253_402_300_799 })], ([seconds]) => {
    assert.strictEqual(Timestamp.fromEpochSeconds("exp", seconds), seconds * 1000)
    assert.strictEqual(Timestamp.fromStored("exp", new Date(seconds * 1000).toISOString()), seconds * 1000)
  })

  it("is plain code: the module imports nothing, so the CLI's start-up path can use it", async () => {
    const { readFile } = await import("node:fs/promises")
    const source = await readFile(new URL("../src/Timestamp.ts", import.meta.url), "utf8")
    assert.notMatch(source, /^import /m)
  })
})
