/**
 * The full `toshi` command: parses the command line, runs it on Node, prints an error a person can
 * act on, and exits with the code that says what kind of failure it was (see `ExitCode`).
 *
 * @internal
 */
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { AuthError } from "@toshi/core"
import { NodeAuth } from "@toshi/node"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cli from "./Cli.js"
import * as ExitCode from "./ExitCode.js"
import * as Colour from "./internal/colour.js"
import { ConfigWriteError, UsageError } from "./Profile.js"
import * as Settings from "./Settings.js"

/** What an error means for the exit code, and what (if anything) still has to be printed. */
const classify = (error: unknown): { readonly code: number; readonly message: string | undefined } => {
  if (AuthError.isAuthError(error)) return { code: ExitCode.fromError(error), message: advice(error) }
  if (error instanceof UsageError) return { code: ExitCode.ExitCode.Usage, message: error.message }
  if (error instanceof ConfigWriteError) return { code: ExitCode.ExitCode.Store, message: error.message }
  // @effect/cli has printed its own message (and the help) already.
  if (ValidationError.isValidationError(error)) return { code: ExitCode.ExitCode.Usage, message: undefined }
  if (typeof error === "object" && error !== null && "_tag" in error && error._tag === "QuitException") {
    return { code: cancelled, message: "cancelled" }
  }
  return { code: ExitCode.ExitCode.Unexpected, message: error instanceof Error ? error.message : String(error) }
}

/** Ctrl-C, as shells report a process that SIGINT ended (128 + 2). */
const cancelled = 130

/** The error's own message; for a missing Cognito setting, also the command that sets it. */
const advice = (error: AuthError.AuthError): string => {
  if (error._tag !== "ConfigIncompleteError" || error.reason !== "MissingKeys" || error.subject !== "Cognito") return error.message
  const keys = error.missing.filter((key) => (Settings.keys as ReadonlyArray<string>).includes(key))
  return keys.length === 0 ? error.message : `${error.message} With toshi: ${keys.map((key) => `\`toshi config set ${key} VALUE\``).join(", ")}.`
}

let exitCode: number = ExitCode.ExitCode.Ok

/**
 * Runs `argv` (as `process.argv`) and sets the exit code.
 *
 * @internal
 */
export const main = (argv: ReadonlyArray<string>): void => {
  // The pinned AWS SDK runs on Node 20; its notice about 2027 releases is not the user's business.
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"
  const program = Cli.run(argv).pipe(
    Effect.provide(NodeAuth.layer()),
    Effect.catchAll((error) => {
      const { code, message } = classify(error)
      exitCode = code
      return message === undefined ? Effect.void : Console.error(`toshi: ${message}`)
    }),
    Effect.catchAllDefect((defect) => {
      exitCode = ExitCode.ExitCode.Unexpected
      return Console.error(`toshi: unexpected error (a bug: please report it): ${Cause.pretty(Cause.die(defect))}`)
    }),
    // Ctrl-C (SIGINT interrupts the program) or Ctrl-C at a prompt: say so, then exit 130.
    Effect.onInterrupt(() => Console.error("\ntoshi: cancelled")),
    Colour.policy(process, process.env)
  )
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? cancelled : exitCode)
  })
}
