import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as Spinner from "../src/internal/spinner.js"

const recorder = (isTTY: boolean) => {
  const written: Array<string> = []
  return { written, stream: { isTTY, write: (text: string) => written.push(text) } }
}

describe("the device-flow spinner", () => {
  it("is drawn only on a terminal, and never with NO_COLOR or TERM=dumb", () => {
    assert.isTrue(Spinner.allowed({ isTTY: true, write: () => true }, {}))
    assert.isFalse(Spinner.allowed({ isTTY: false, write: () => true }, {}))
    assert.isFalse(Spinner.allowed({ write: () => true }, {}))
    assert.isFalse(Spinner.allowed({ isTTY: true, write: () => true }, { NO_COLOR: "1" }))
    assert.isTrue(Spinner.allowed({ isTTY: true, write: () => true }, { NO_COLOR: "" }))
    assert.isFalse(Spinner.allowed({ isTTY: true, write: () => true }, { TERM: "dumb" }))
  })

  it("shows the time left on the code as minutes and seconds", () => {
    assert.strictEqual(Spinner.formatLeft(300_000), "5:00")
    assert.strictEqual(Spinner.formatLeft(61_500), "1:02")
    assert.strictEqual(Spinner.formatLeft(-5), "0:00")
    assert.strictEqual(Spinner.frame(0, 90_000), `${Spinner.clearLine}⠋ Waiting for approval… 1:30 left`)
  })

  it.effect("redraws every 100 ms, counts down, and clears its line when stopped", () =>
    Effect.gen(function*() {
      const { stream, written } = recorder(true)
      const spinner = Spinner.make(stream, {})
      yield* spinner.start(300_000)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(written.length, 11)
      assert.include(written[0]!, "5:00 left")
      assert.include(written.at(-1)!, "4:59 left")
      assert.notStrictEqual(written[0]!.slice(Spinner.clearLine.length, Spinner.clearLine.length + 1), written[1]!.slice(Spinner.clearLine.length, Spinner.clearLine.length + 1))
      yield* spinner.stop
      assert.strictEqual(written.at(-1), Spinner.clearLine)
      const count = written.length
      yield* TestClock.adjust("1 second")
      assert.strictEqual(written.length, count)
    }))

  it.effect("writes nothing at all to a pipe", () =>
    Effect.gen(function*() {
      const { stream, written } = recorder(false)
      const spinner = Spinner.make(stream, {})
      yield* spinner.start(300_000)
      yield* TestClock.adjust("2 seconds")
      yield* spinner.stop
      assert.deepStrictEqual(written, [])
    }))
})
