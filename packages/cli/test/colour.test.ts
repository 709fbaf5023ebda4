import { assert, describe, it } from "@effect/vitest"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Colour from "../src/internal/colour.js"

const styled = "\x1b[0;1mUSAGE\x1b[0m"

/** Runs what @effect/cli does (help to stdout, a usage error to stderr) under the policy; returns what reached each stream. */
const printed = (stdoutIsTTY: boolean, stderrIsTTY: boolean, env: Record<string, string | undefined>) =>
  Effect.gen(function*() {
    const out: Array<unknown> = []
    const err: Array<unknown> = []
    const console = yield* Console.consoleWith(Effect.succeed)
    const capture: Console.Console = {
      ...console,
      log: (...args) => Effect.sync(() => out.push(...args)),
      info: (...args) => Effect.sync(() => out.push(...args)),
      error: (...args) => Effect.sync(() => err.push(...args)),
      warn: (...args) => Effect.sync(() => err.push(...args))
    }
    const program = Effect.all([Console.log(styled), Console.info(styled, 42), Console.error(styled), Console.warn(styled)])
    yield* program.pipe(
      Colour.policy({ stdout: { isTTY: stdoutIsTTY }, stderr: { isTTY: stderrIsTTY } }, env),
      Effect.withConsole(capture)
    )
    return { out, err }
  })

describe("toshi's colour", () => {
  it.effect("a terminal gets @effect/cli's styles", () =>
    Effect.gen(function*() {
      const { err, out } = yield* printed(true, true, {})
      assert.deepStrictEqual(out, [styled, styled, 42])
      assert.deepStrictEqual(err, [styled, styled])
    }))

  it.effect("a pipe or a file gets plain text, judged per stream", () =>
    Effect.gen(function*() {
      const piped = yield* printed(false, true, {})
      assert.deepStrictEqual(piped.out, ["USAGE", "USAGE", 42])
      assert.deepStrictEqual(piped.err, [styled, styled])
      const stderrPiped = yield* printed(true, false, {})
      assert.deepStrictEqual(stderrPiped.out, [styled, styled, 42])
      assert.deepStrictEqual(stderrPiped.err, ["USAGE", "USAGE"])
    }))

  it.effect("NO_COLOR turns the styles off even on a terminal; an empty NO_COLOR does not", () =>
    Effect.gen(function*() {
      const off = yield* printed(true, true, { NO_COLOR: "1" })
      assert.deepStrictEqual([...off.out, ...off.err], ["USAGE", "USAGE", 42, "USAGE", "USAGE"])
      const empty = yield* printed(true, true, { NO_COLOR: "" })
      assert.deepStrictEqual(empty.out, [styled, styled, 42])
    }))
})
