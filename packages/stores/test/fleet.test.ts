import { assert, describe, it } from "@effect/vitest"
import { runFleet, windows } from "./fleet.js"

describe("a fleet of processes over one FileTokenStore", () => {
  it("16 processes: exactly one token request per expiry window, and every process always holds a valid token", { timeout: 120_000 }, async () => {
    const lifetimeMs = 2_000
    const result = await runFleet({ size: 16, lifetimeMs, durationMs: 9_000, lock: true })
    assert.deepStrictEqual(result.failures, [])
    assert.strictEqual(result.members.length, 16)
    for (const member of result.members) {
      assert.isAbove(member.checks, 50)
      assert.strictEqual(member.invalid, 0, `process ${member.pid} held an expired token`)
    }
    // Tokens live 2 s and are renewed about 1 s before expiry: a request every second or so, never two at once.
    const perWindow = windows(result.requestTimes, 300)
    assert.isAtLeast(perWindow.length, 7, JSON.stringify(result.requestTimes))
    assert.deepStrictEqual(perWindow, perWindow.map(() => 1), JSON.stringify(result.requestTimes))
  })
})
