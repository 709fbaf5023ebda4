/**
 * The Cognito settings shared with the Python toshi-auth tool: `~/.toshi/auth_config.json` (or the
 * file `TOSHI_COGNITO_CONFIG` names) with the keys `user_pool_id`, `region`, `scientist_client_id`,
 * `cognito_domain` and `identity_pool_id`, each overridden by its `NZSHM22_TOSHI_COGNITO_*`
 * environment variable. It is an Effect `ConfigProvider` (the environment, or else the file), so
 * every `Config` read anywhere in the app sees the same merged view.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { AuthError } from "@toshi/core"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/**
 * Each file key and the environment variable that overrides it.
 *
 * @since 0.1.0
 * @category constants
 */
export const variables = {
  user_pool_id: "NZSHM22_TOSHI_COGNITO_USER_POOL_ID",
  region: "NZSHM22_TOSHI_COGNITO_REGION",
  scientist_client_id: "NZSHM22_TOSHI_COGNITO_SCIENTIST_CLIENT_ID",
  cognito_domain: "NZSHM22_TOSHI_COGNITO_DOMAIN",
  identity_pool_id: "NZSHM22_TOSHI_COGNITO_IDENTITY_POOL_ID"
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type Key = keyof typeof variables

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultRegion = "ap-southeast-2"

/**
 * The settings, each absent unless configured (the region has its default).
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly user_pool_id: Option.Option<string>
  readonly region: string
  readonly scientist_client_id: Option.Option<string>
  readonly cognito_domain: Option.Option<string>
  readonly identity_pool_id: Option.Option<string>
}

const optional = (name: string) => Config.option(Config.nonEmptyString(name))

/**
 * The settings as a `Config`, read through whatever `ConfigProvider` is current.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Settings> = Config.all({
  user_pool_id: optional(variables.user_pool_id),
  region: Config.withDefault(Config.nonEmptyString(variables.region), defaultRegion),
  scientist_client_id: optional(variables.scientist_client_id),
  cognito_domain: optional(variables.cognito_domain),
  identity_pool_id: optional(variables.identity_pool_id)
})

/** The settings file `TOSHI_COGNITO_CONFIG` names, if it names one. */
const namedFile: Effect.Effect<Option.Option<string>> = Effect.orElseSucceed(
  Config.option(Config.nonEmptyString("TOSHI_COGNITO_CONFIG")),
  () => Option.none<string>()
)

/**
 * The settings `keys` name, or a `ConfigIncompleteError` listing every one that is missing.
 *
 * @since 0.1.0
 * @category config
 */
export const require = <K extends Exclude<Key, "region">>(
  keys: ReadonlyArray<K>
): Effect.Effect<{ readonly [P in K | "region"]: string }, AuthError.ConfigIncompleteError> =>
  Effect.gen(function*() {
    const settings = yield* Effect.orElseSucceed(config, () => undefined)
    const present = new Map<string, string>()
    for (const key of keys) {
      const value: Option.Option<string> = settings === undefined ? Option.none() : settings[key]
      if (Option.isSome(value)) present.set(key, value.value)
    }
    const missing = keys.filter((key) => !present.has(key))
    if (missing.length > 0) {
      // Name the file the person can edit: the one TOSHI_COGNITO_CONFIG names, else the usual place.
      const file = Option.getOrElse(yield* namedFile, () => "~/.toshi/auth_config.json")
      return yield* new AuthError.ConfigIncompleteError({
        subject: "Cognito",
        missing,
        source: `${file} or the environment: ${missing.map((key) => variables[key]).join(", ")}`,
        reason: "MissingKeys"
      })
    }
    return { ...Object.fromEntries(present), region: settings?.region ?? defaultRegion } as { readonly [P in K | "region"]: string }
  })

/**
 * The user's home directory, as the shells and the Python tool find it: `HOME`, else
 * `USERPROFILE`, read through the current `ConfigProvider`.
 *
 * @since 0.1.0
 * @category config
 */
export const home: Effect.Effect<string> = Effect.orElseSucceed(
  Config.nonEmptyString("HOME").pipe(Config.orElse(() => Config.nonEmptyString("USERPROFILE"))),
  () => "."
)

/**
 * Where toshi and the Python tool keep their files: `~/.toshi`.
 *
 * @since 0.1.0
 * @category config
 */
export const directory: Effect.Effect<string, never, Path.Path> = Effect.gen(function*() {
  const path = yield* Path.Path
  return path.join(yield* home, ".toshi")
})

/**
 * Where the settings file is: `TOSHI_COGNITO_CONFIG`, or `~/.toshi/auth_config.json`.
 *
 * @since 0.1.0
 * @category config
 */
export const path: Effect.Effect<string, never, Path.Path> = Effect.gen(function*() {
  const explicit = yield* namedFile
  if (Option.isSome(explicit)) return explicit.value
  const path = yield* Path.Path
  return path.join(yield* directory, "auth_config.json")
})

const malformed = (file: string, description: string) =>
  new AuthError.ConfigIncompleteError({ subject: "Cognito", missing: [], source: file, reason: "Malformed", description })

/**
 * The file's settings as a `ConfigProvider` keyed by the environment variable names. A missing
 * file is an empty provider; a file that is not a JSON object of strings is a typed error naming
 * the file and what is wrong, never ignored.
 *
 * @since 0.1.0
 * @category config
 */
export const fromFile = (file: string): Effect.Effect<ConfigProvider.ConfigProvider, AuthError.ConfigIncompleteError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.map(Option.some),
      Effect.catchIf((error) => error._tag === "SystemError" && error.reason === "NotFound", () => Effect.succeed(Option.none<string>())),
      Effect.mapError((error) => malformed(file, `it could not be read (${error.message})`))
    )
    if (Option.isNone(text)) return ConfigProvider.fromMap(new Map())
    const json = Either.try(() => JSON.parse(text.value) as unknown)
    if (Either.isLeft(json)) return yield* malformed(file, `it is not valid JSON (${String(json.left instanceof Error ? json.left.message : json.left)})`)
    const value = json.right
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return yield* malformed(file, "it must be a JSON object such as {\"user_pool_id\": \"…\", \"region\": \"ap-southeast-2\"}")
    }
    const entries = new Map<string, string>()
    for (const [key, variable] of Object.entries(variables)) {
      const setting = (value as Record<string, unknown>)[key]
      if (setting === undefined || setting === null) continue
      if (typeof setting !== "string") return yield* malformed(file, `"${key}" must be a string, not ${typeof setting}`)
      entries.set(variable, setting)
    }
    return ConfigProvider.fromMap(entries)
  })

/**
 * The environment (the current `ConfigProvider`), or else the settings file: per key, the
 * environment wins.
 *
 * @since 0.1.0
 * @category config
 */
export const provider = (
  options: { readonly path?: string | undefined } = {}
): Effect.Effect<ConfigProvider.ConfigProvider, AuthError.ConfigIncompleteError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const file = options.path ?? (yield* path)
    const fromFileProvider = yield* fromFile(file)
    // The current provider is the environment unless the app (or a test) set another.
    return yield* Effect.configProviderWith((current) => Effect.succeed(current.pipe(ConfigProvider.orElse(() => fromFileProvider))))
  })

/**
 * Makes `provider` the app's `ConfigProvider`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: { readonly path?: string | undefined } = {}
): Layer.Layer<never, AuthError.ConfigIncompleteError, FileSystem.FileSystem | Path.Path> =>
  Layer.unwrapEffect(Effect.map(provider(options), Layer.setConfigProvider))
