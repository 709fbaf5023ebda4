/**
 * The `toshi` command's exit codes: one per kind of failure a script may want to handle, so that
 * `toshi token` in a pipeline can tell "log in first" from "the network is down".
 *
 * @since 0.1.0
 */
import { AuthError } from "@toshi/core"

/**
 * @since 0.1.0
 * @category models
 */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  Usage: 2,
  NotLoggedIn: 3,
  AuthenticationFailed: 4,
  Config: 5,
  Store: 6,
  Unavailable: 7
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode]

/**
 * What each code means, in the words `--help` and the README use.
 *
 * @since 0.1.0
 * @category models
 */
export const meanings: ReadonlyArray<readonly [ExitCode, string]> = [
  [ExitCode.Ok, "success"],
  [ExitCode.Unexpected, "an unexpected error (a bug: please report it)"],
  [ExitCode.Usage, "wrong usage: an unknown command, option or profile"],
  [ExitCode.NotLoggedIn, "not logged in, or nothing set up yet: the message says what to run"],
  [ExitCode.AuthenticationFailed, "the identity provider refused: wrong password, revoked session or client"],
  [ExitCode.Config, "the configuration is missing keys or malformed"],
  [ExitCode.Store, "a credentials or settings file could not be read, written or locked"],
  [ExitCode.Unavailable, "the identity provider could not be reached or is failing: retry later"]
]

/**
 * The exit code for an error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromError = (error: AuthError.AuthError): ExitCode => {
  if (AuthError.isTransient(error)) return ExitCode.Unavailable
  switch (error._tag) {
    case "NoCredentialsError":
      return ExitCode.NotLoggedIn
    case "LoginFailedError":
    case "RefreshFailedError":
    case "IdentityPoolError":
      return ExitCode.AuthenticationFailed
    case "ConfigIncompleteError":
      return ExitCode.Config
    case "TokenStoreError":
      return ExitCode.Store
  }
}
