/**
 * What `toshi config` reads and edits: the Cognito settings of the `default` profile, in
 * `~/.toshi/auth_config.json` (or the file `TOSHI_COGNITO_CONFIG` names), the file the Python
 * toshi-auth tool reads too. Its format is kept as it is, keys toshi does not know included.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import { AuthError } from "@toshi/core"
import { CognitoConfig } from "@toshi/providers"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as JsonFile from "./internal/jsonFile.js"
import { type ConfigWriteError, UsageError } from "./Profile.js"

/**
 * The keys of the settings file, in the order `config list` shows them.
 *
 * @since 0.1.0
 * @category constants
 */
export const keys: ReadonlyArray<CognitoConfig.Key> = ["user_pool_id", "region", "scientist_client_id", "cognito_domain", "identity_pool_id"]

/**
 * One setting, and where its value comes from: the environment variable wins over the file, and
 * the region has a default.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  readonly key: CognitoConfig.Key
  readonly value: string | undefined
  readonly source: "environment" | "file" | "default" | "unset"
  /** The environment variable that overrides the file. */
  readonly variable: string
  readonly file: string
}

const subject = "Cognito"

/** The file's JSON, checked as `CognitoConfig` reads it: each known key a string, when present. */
const load = Effect.gen(function*() {
  const file = yield* CognitoConfig.path
  const json = Option.getOrElse(yield* JsonFile.read(file, subject), () => ({} as JsonFile.JsonObject))
  for (const key of keys) {
    const value = json[key]
    if (value !== undefined && value !== null && typeof value !== "string") {
      return yield* new AuthError.ConfigIncompleteError({
        subject,
        missing: [],
        source: file,
        reason: "Malformed",
        description: `"${key}" must be a string, not ${typeof value}`
      })
    }
  }
  return { file, json }
})

/**
 * A key `config` accepts, or a usage error that lists the known ones.
 *
 * @since 0.1.0
 * @category constructors
 */
export const key = (name: string): Effect.Effect<CognitoConfig.Key, UsageError> =>
  (keys as ReadonlyArray<string>).includes(name)
    ? Effect.succeed(name as CognitoConfig.Key)
    : Effect.fail(new UsageError({ description: `unknown setting ${JSON.stringify(name)}; known settings: ${keys.join(", ")}` }))

/**
 * Every setting with its value and source.
 *
 * @since 0.1.0
 * @category constructors
 */
export const list: Effect.Effect<ReadonlyArray<Entry>, AuthError.ConfigIncompleteError, FileSystem.FileSystem | Path.Path> = Effect.gen(
  function*() {
    const { file, json } = yield* load
    return yield* Effect.forEach(keys, (key) =>
      Effect.gen(function*() {
        const variable = CognitoConfig.variables[key]
        const fromEnv = yield* Effect.orElseSucceed(Config.option(Config.nonEmptyString(variable)), () => Option.none<string>())
        const fromFile = json[key]
        const entry = { key, variable, file }
        if (Option.isSome(fromEnv)) return { ...entry, value: fromEnv.value, source: "environment" as const }
        if (typeof fromFile === "string" && fromFile !== "") return { ...entry, value: fromFile, source: "file" as const }
        if (key === "region") return { ...entry, value: CognitoConfig.defaultRegion, source: "default" as const }
        return { ...entry, value: undefined, source: "unset" as const }
      }))
  }
)

/**
 * One setting as the commands see it, or a `MissingKeys` error that says how to set it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const get = (name: string): Effect.Effect<Entry, AuthError.ConfigIncompleteError | UsageError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const wanted = yield* key(name)
    const entry = (yield* list).find((e) => e.key === wanted)!
    if (entry.value !== undefined) return entry
    return yield* new AuthError.ConfigIncompleteError({
      subject,
      missing: [wanted],
      source: `${entry.file} or the environment: ${entry.variable}`,
      reason: "MissingKeys"
    })
  })

/** Values go into URLs and AWS calls: no spaces, no line breaks. */
const checkValue = (name: CognitoConfig.Key, value: string): Effect.Effect<string, UsageError> => {
  if (value === "" || /\s/.test(value)) {
    return Effect.fail(new UsageError({ description: `the value of ${name} must be non-empty and without spaces` }))
  }
  if (name === "cognito_domain" && !/^https:\/\//.test(value) && !/^http:\/\/(localhost|127(\.\d{1,3}){3}|\[::1\])(:|\/|$)/.test(value)) {
    return Effect.fail(new UsageError({ description: "cognito_domain must be an https URL, such as https://my-domain.auth.ap-southeast-2.amazoncognito.com" }))
  }
  return Effect.succeed(value)
}

/**
 * Sets one setting in the file, keeping every other key; a malformed file is an error and is left
 * untouched. Returns the file and the environment variable that, when set, still wins.
 *
 * @since 0.1.0
 * @category constructors
 */
export const set = (
  name: string,
  value: string
): Effect.Effect<Entry, AuthError.ConfigIncompleteError | UsageError | ConfigWriteError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const wanted = yield* key(name)
    const checked = yield* checkValue(wanted, value)
    return yield* JsonFile.locked(yield* CognitoConfig.path)(Effect.gen(function*() {
      const { file, json } = yield* load
      yield* JsonFile.write(file, { ...json, [wanted]: checked })
      return { key: wanted, value: checked, source: "file" as const, variable: CognitoConfig.variables[wanted], file }
    }))
  })

/**
 * Removes one setting from the file, keeping every other key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unset = (
  name: string
): Effect.Effect<
  { readonly key: CognitoConfig.Key; readonly file: string; readonly removed: boolean },
  AuthError.ConfigIncompleteError | UsageError | ConfigWriteError,
  FileSystem.FileSystem | Path.Path
> =>
  Effect.gen(function*() {
    const wanted = yield* key(name)
    return yield* JsonFile.locked(yield* CognitoConfig.path)(Effect.gen(function*() {
      const { file, json } = yield* load
      if (!(wanted in json)) return { key: wanted, file, removed: false }
      const { [wanted]: _removed, ...rest } = json
      yield* JsonFile.write(file, rest)
      return { key: wanted, file, removed: true }
    }))
  })
