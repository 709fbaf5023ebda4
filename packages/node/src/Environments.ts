/**
 * Named environments (`production`, `staging`, `dev`, …) whose endpoints come from configuration,
 * so that one setting, `TOSHI_ENV`, switches every endpoint a program uses at once.
 *
 * The code declares the environments and the endpoints they have, with defaults where there are
 * some; configuration names the selected environment and may override (or must supply) each of its
 * endpoints:
 *
 * | key                            | meaning                                             |
 * |--------------------------------|-----------------------------------------------------|
 * | `TOSHI_ENV`                    | the selected environment (default `production`)     |
 * | `TOSHI_<ENV>_<ENDPOINT>_URL`   | one endpoint of it, e.g. `TOSHI_STAGING_API_URL`     |
 *
 * Names become keys in constant case: the environment `staging` and the endpoint `fileStore` read
 * `TOSHI_STAGING_FILE_STORE_URL`. Keys are read through the current `ConfigProvider` (the process
 * environment, unless the program says otherwise), and a configured value wins over the default.
 *
 * @example
 * ```ts
 * import { Environments } from "@toshi/node"
 *
 * const EnvironmentLive = Environments.layer({
 *   production: { api: "https://api.example.com/graphql", auth: "https://auth.example.com" },
 *   staging: { api: "https://api.staging.example.com/graphql", auth: "https://auth.staging.example.com" },
 *   // No defaults: TOSHI_DEV_API_URL and TOSHI_DEV_AUTH_URL must be set when TOSHI_ENV=dev.
 *   dev: { api: undefined, auth: undefined }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const api = yield* Environments.endpoint("api")
 *   // …
 * }).pipe(Effect.provide(EnvironmentLive))
 * ```
 *
 * @since 0.1.0
 */
import { AuthError } from "@toshi/core"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/**
 * The environments a program knows, each with its endpoints' defaults. Every environment has every
 * endpoint named in any of them; `undefined` (or leaving the endpoint out) means configuration must
 * supply it.
 *
 * @since 0.1.0
 * @category models
 */
export type Definitions = {
  readonly [environment: string]: { readonly [endpoint: string]: string | undefined }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The environment used when none is configured. Default `production`. */
  readonly default?: string | undefined
  /** The first part of every key. Default `TOSHI` (`TOSHI_ENV`, `TOSHI_<ENV>_<ENDPOINT>_URL`). */
  readonly prefix?: string | undefined
}

/**
 * The selected environment, with every endpoint resolved.
 *
 * @since 0.1.0
 * @category models
 */
export interface Environment {
  /** As spelled in the definitions. */
  readonly name: string
  readonly endpoints: Readonly<Record<string, string>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class CurrentEnvironment extends Context.Tag("@toshi/node/CurrentEnvironment")<CurrentEnvironment, Environment>() {}

/**
 * The configured environment is not one the program defines.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownEnvironmentError extends Data.TaggedError("UnknownEnvironmentError")<{
  readonly name: string
  readonly known: ReadonlyArray<string>
  /** The key that named it, e.g. `TOSHI_ENV`. */
  readonly key: string
}> {
  override get message(): string {
    return `Unknown environment "${this.name}" (from ${this.key}): the known environments are ${this.known.join(", ")}. ` +
      `Set ${this.key} to one of them.`
  }
}

/**
 * The environments used when the program defines none: `production`, `staging` and `dev`, each
 * with one endpoint, `api`, that configuration must supply (`TOSHI_PRODUCTION_API_URL`, …).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultDefinitions: Definitions = {
  production: { api: undefined },
  staging: { api: undefined },
  dev: { api: undefined }
}

/** `fileStore`, `file-store` and `file_store` all become `FILE_STORE`. */
const constantCase = (name: string): string =>
  name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()

/**
 * The configuration key of one endpoint of one environment, e.g. `TOSHI_STAGING_API_URL`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const endpointKey = (environment: string, endpoint: string, options?: Options): string =>
  `${options?.prefix ?? "TOSHI"}_${constantCase(environment)}_${constantCase(endpoint)}_URL`

/**
 * Reads the selected environment and its endpoints from configuration. A name that is not defined
 * is an `UnknownEnvironmentError`; endpoints that are neither configured nor defaulted (or are not
 * URLs) are one `ConfigIncompleteError` naming all of their keys.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  definitions?: Definitions,
  options?: Options
) => Effect.Effect<Environment, UnknownEnvironmentError | AuthError.ConfigIncompleteError> = Effect.fn("Environments.make")(
  function*(definitions: Definitions = defaultDefinitions, options?: Options) {
    const prefix = options?.prefix ?? "TOSHI"
    const selector = `${prefix}_ENV`
    const known = Object.keys(definitions)
    const configured = yield* read(Config.string(selector), selector)
    const wanted = Option.getOrElse(configured, () => options?.default ?? "production").trim()
    // `TOSHI_ENV=STAGING` selects `staging`: environment variables are conventionally upper case.
    const name = known.find((k) => k === wanted) ?? known.find((k) => k.toLowerCase() === wanted.toLowerCase())
    if (name === undefined) return yield* new UnknownEnvironmentError({ name: wanted, known, key: selector })

    const endpointNames = [...new Set(Object.values(definitions).flatMap((endpoints) => Object.keys(endpoints)))]
    const endpoints: Record<string, string> = {}
    const missing: Array<string> = []
    const malformed: Array<string> = []
    for (const endpoint of endpointNames) {
      const key = endpointKey(name, endpoint, options)
      const value = Option.getOrUndefined(yield* read(Config.string(key), key))?.trim() || definitions[name]?.[endpoint]
      if (value === undefined || value === "") missing.push(key)
      else if (!URL.canParse(value)) malformed.push(key)
      else endpoints[endpoint] = value
    }
    const subject = `Environment "${name}"`
    if (missing.length > 0) {
      return yield* new AuthError.ConfigIncompleteError({ subject, missing, source: "configuration", reason: "MissingKeys" })
    }
    if (malformed.length > 0) {
      return yield* new AuthError.ConfigIncompleteError({
        subject,
        missing: malformed,
        source: "configuration",
        reason: "Malformed",
        description: `${malformed.join(", ")} ${malformed.length === 1 ? "is not a URL" : "are not URLs"}`
      })
    }
    return { name, endpoints }
  }
)

/** An optional key; a provider that cannot be read at all is malformed configuration. */
const read = (config: Config.Config<string>, key: string) =>
  Effect.mapError(
    Config.option(config),
    (error) =>
      new AuthError.ConfigIncompleteError({
        subject: key,
        missing: [key],
        source: "configuration",
        reason: "Malformed",
        description: String(error)
      })
  )

/**
 * The `CurrentEnvironment`, read from configuration once when the layer is built.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  definitions?: Definitions,
  options?: Options
): Layer.Layer<CurrentEnvironment, UnknownEnvironmentError | AuthError.ConfigIncompleteError> =>
  Layer.effect(CurrentEnvironment, make(definitions, options))

/**
 * One endpoint of the current environment. Configuration can only supply endpoints the definitions
 * declare, so asking for another is a bug in the program, and a defect rather than an error.
 *
 * @since 0.1.0
 * @category accessors
 */
export const endpoint = (name: string): Effect.Effect<string, never, CurrentEnvironment> =>
  Effect.flatMap(CurrentEnvironment, (environment) => {
    const url = environment.endpoints[name]
    return url !== undefined
      ? Effect.succeed(url)
      : Effect.dieMessage(
        `The environment "${environment.name}" has no endpoint "${name}" (it has: ${
          Object.keys(environment.endpoints).join(", ") || "none"
        }): declare it in the definitions given to Environments.layer`
      )
  })
