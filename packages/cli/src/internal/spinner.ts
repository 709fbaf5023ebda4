/**
 * The spinner beside "Waiting for approval" in the device flow, with the time left on the code.
 * Only on a terminal: a pipe, a log file or `NO_COLOR` get the plain lines alone, never the
 * carriage returns and escape codes a spinner is made of.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

/** Back to the start of the line, and the line cleared. */
export const clearLine = "\r\x1b[2K"

/** "4:05": minutes and seconds, never negative. */
export const formatLeft = (millis: number): string => {
  const seconds = Math.max(0, Math.ceil(millis / 1000))
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`
}

/** One frame: the line redrawn in place. */
export const frame = (index: number, millisLeft: number): string =>
  `${clearLine}${frames[index % frames.length]} Waiting for approval… ${formatLeft(millisLeft)} left`

/** The part of a stream the spinner looks at (Node's `process.stderr` has it). */
export interface Stream {
  readonly isTTY?: boolean | undefined
  readonly write: (text: string) => unknown
}

/** Whether a spinner may be drawn on `stream`: a terminal, and no `NO_COLOR` (no-color.org). */
export const allowed = (stream: Stream, env: Readonly<Record<string, string | undefined>>): boolean =>
  stream.isTTY === true && (env["NO_COLOR"] ?? "") === "" && env["TERM"] !== "dumb"

/** Draws frames on `stream` every 100 ms until `deadline` (epoch millis) or until interrupted. */
export const spin = (stream: Stream, deadline: number): Effect.Effect<never> =>
  Effect.gen(function*() {
    for (let index = 0;; index++) {
      const now = yield* Clock.currentTimeMillis
      stream.write(frame(index, deadline - now))
      yield* Effect.sleep("100 millis")
    }
  })

/**
 * A spinner to start when the code is shown and to stop when the flow ends, however it ends; on a
 * stream that may not have one, both do nothing.
 */
export const make = (stream: Stream, env: Readonly<Record<string, string | undefined>>) => {
  let running: Fiber.RuntimeFiber<never> | undefined
  return {
    start: (expiresInMillis: number): Effect.Effect<void> =>
      !allowed(stream, env) ? Effect.void : Effect.gen(function*() {
        const deadline = (yield* Clock.currentTimeMillis) + expiresInMillis
        running = yield* Effect.forkDaemon(spin(stream, deadline))
      }),
    stop: Effect.suspend((): Effect.Effect<void> => {
      const fiber = running
      if (fiber === undefined) return Effect.void
      running = undefined
      return Effect.zipRight(Fiber.interrupt(fiber), Effect.sync(() => stream.write(clearLine)))
    })
  }
}
