import { assert, describe, it } from "@effect/vitest"
import * as Lifetime from "../src/Lifetime.js"

describe("Lifetime", () => {
  const now = Date.parse("2026-03-01T00:00:00Z")

  it("a token is usable for N seconds while at least N seconds are left, to the millisecond", () => {
    assert.isTrue(Lifetime.usableFor(now + 60_000, now, 60))
    assert.isFalse(Lifetime.usableFor(now + 59_999, now, 60))
    assert.isTrue(Lifetime.usableFor(now + 3_600_000, now, 60))
  })

  it("an expired token is usable for nothing, not even zero seconds", () => {
    assert.isFalse(Lifetime.usableFor(now - 1, now, 0))
    assert.isTrue(Lifetime.usableFor(now, now, 0))
  })

  it("is plain code: the module imports nothing, so the CLI's start-up path can use it", async () => {
    const { readFile } = await import("node:fs/promises")
    const source = await readFile(new URL("../src/Lifetime.ts", import.meta.url), "utf8")
    assert.notMatch(source, /^import /m)
  })
})
