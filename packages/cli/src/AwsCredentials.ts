/**
 * What `toshi aws-creds` hands to AWS tools: `credential_process` JSON, shell `export` lines, or a
 * profile in the shared credentials file (`~/.aws/credentials`) that leaves the rest of the file,
 * comments included, exactly as it was.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import type { AuthError } from "@toshi/core"
import { CognitoConfig, type IdentityPool } from "@toshi/providers"
import * as Config from "effect/Config"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as CredentialsFile from "./internal/awsCredentialsFile.js"

/**
 * The AWS profile `toshi aws-creds` writes when none is named.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultProfile = "toshi"

/**
 * The shared credentials file the AWS SDKs and CLI read: `AWS_SHARED_CREDENTIALS_FILE` (a leading
 * `~/` means the home directory, as for the SDKs), else `~/.aws/credentials`.
 *
 * @since 0.1.0
 * @category config
 */
export const defaultFile: Effect.Effect<string, never, Path.Path> = Effect.gen(function*() {
  const path = yield* Path.Path
  const home = yield* CognitoConfig.home
  const configured = yield* Effect.orElseSucceed(
    Config.option(Config.nonEmptyString("AWS_SHARED_CREDENTIALS_FILE")),
    () => Option.none<string>()
  )
  return Option.match(configured, {
    onNone: () => path.join(home, ".aws", "credentials"),
    onSome: (file) => file.startsWith("~/") ? path.join(home, file.slice(2)) : file
  })
})

/**
 * The `credential_process` output the AWS CLI and SDKs read: one line of JSON with `Version: 1`
 * and an ISO 8601 `Expiration`, so that they ask again before it runs out. No trailing newline.
 *
 * @since 0.1.0
 * @category codecs
 */
export const processJson = (credentials: IdentityPool.Credentials): string =>
  JSON.stringify({
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: Redacted.value(credentials.secretAccessKey),
    SessionToken: Redacted.value(credentials.sessionToken),
    Expiration: DateTime.formatIso(credentials.expiration)
  })

/** A POSIX shell word holding exactly `value`: single quotes, and each `'` as `'\''`. */
const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`

/**
 * `export` lines for a POSIX shell, one per variable the SDKs read from the environment, each
 * value single-quoted and ending with a newline: `eval "$(toshi aws-creds --format env)"`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const envLines = (credentials: IdentityPool.Credentials): string =>
  ([
    ["AWS_ACCESS_KEY_ID", credentials.accessKeyId],
    ["AWS_SECRET_ACCESS_KEY", Redacted.value(credentials.secretAccessKey)],
    ["AWS_SESSION_TOKEN", Redacted.value(credentials.sessionToken)],
    ["AWS_CREDENTIAL_EXPIRATION", DateTime.formatIso(credentials.expiration)]
  ] as const).map(([name, value]) => `export ${name}=${shellQuote(value)}\n`).join("")

/**
 * Writes `credentials` as the profile `[profile]` of the shared credentials file `file`:
 * `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token` and `aws_expiration` (ISO 8601,
 * for people; the SDKs ignore it). Only those keys of that section change; every other section,
 * comment and blank line stays byte for byte. The write is atomic, the file 0600, a missing
 * directory is made 0700. A file that is not INI fails with `Corrupt` and is left as it is; a
 * profile name that is not a plain section name fails with `Unsupported`. `created` is `true`
 * when the file did not exist before.
 *
 * @since 0.1.0
 * @category utils
 */
export const writeProfile = (
  file: string,
  profile: string,
  credentials: IdentityPool.Credentials
): Effect.Effect<{ readonly created: boolean }, AuthError.TokenStoreError, FileSystem.FileSystem | Path.Path> =>
  CredentialsFile.write(file, profile, [
    ["aws_access_key_id", credentials.accessKeyId],
    ["aws_secret_access_key", Redacted.value(credentials.secretAccessKey)],
    ["aws_session_token", Redacted.value(credentials.sessionToken)],
    ["aws_expiration", DateTime.formatIso(credentials.expiration)]
  ])
