/**
 * When `toshi` may print colour. `@effect/cli` writes its help and its usage errors with ANSI
 * styles whatever the output is; `toshi --help | less`, a log file or a script reading stderr should
 * get plain text. Colour stays only on a terminal, and never with `NO_COLOR` set (no-color.org).
 *
 * @internal
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

// Select Graphic Rendition sequences: the only ANSI codes @effect/cli's help writes.
const SGR = /\x1b\[[0-9;]*m/g

/** A string without its ANSI styles; anything else as it is. */
const plain = (value: unknown): unknown => typeof value === "string" ? value.replace(SGR, "") : value

/** The part of an output stream the policy looks at (Node's `process.stdout` has it). */
interface Stream {
  readonly isTTY?: boolean | undefined
}

/** Whether a stream may be styled, judged as no-color.org and most command-line tools do. */
const allows = (stream: Stream, env: Readonly<Record<string, string | undefined>>): boolean =>
  stream.isTTY === true && (env["NO_COLOR"] ?? "") === ""

/**
 * Runs `effect` with a console that drops the styles from what it writes to a stream that may
 * not be styled: `log` and `info` go to standard output, `error` and `warn` to standard error.
 */
export const policy = (
  streams: { readonly stdout: Stream; readonly stderr: Stream },
  env: Readonly<Record<string, string | undefined>>
) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Console.consoleWith((console) => {
    const out = allows(streams.stdout, env)
    const err = allows(streams.stderr, env)
    if (out && err) return effect
    const strip = (write: (...args: ReadonlyArray<unknown>) => Effect.Effect<void>) => (...args: ReadonlyArray<unknown>) =>
      write(...args.map(plain))
    return Effect.withConsole(effect, {
      ...console,
      log: out ? console.log : strip(console.log),
      info: out ? console.info : strip(console.info),
      error: err ? console.error : strip(console.error),
      warn: err ? console.warn : strip(console.warn)
    })
  })
