/**
 * The identities the `toshi` command knows. `default` is the Cognito user pool of
 * `auth_config.json` (shared with the Python toshi-auth tool, saved in `~/.toshi/credentials`); more
 * profiles, for any OpenID Connect issuer (Keycloak, Auth0, Okta, a Cognito pool's own issuer), are
 * named in `~/.toshi/profiles.json` (written by `toshi profile add`, or by hand) and saved in
 * `~/.toshi/tokens.json`.
 *
 * ```json
 * { "profiles": { "work": { "issuer": "https://id.example.org", "client_id": "cli", "scope": "openid offline_access", "flow": "device" } } }
 * ```
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { AuthError } from "@toshi/core"
import { CognitoConfig } from "@toshi/providers"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as JsonFile from "./internal/jsonFile.js"

/**
 * How a person logs in.
 *
 * @since 0.1.0
 * @category models
 */
export type Flow = "password" | "otp" | "device" | "browser"

/**
 * @since 0.1.0
 * @category constants
 */
export const flows: ReadonlyArray<Flow> = ["password", "otp", "device", "browser"]

/**
 * The Python tool's Cognito user pool.
 *
 * @since 0.1.0
 * @category models
 */
export interface CognitoProfile {
  readonly _tag: "Cognito"
  readonly name: "default"
}

/**
 * A generic OpenID Connect issuer, found by discovery.
 *
 * @since 0.1.0
 * @category models
 */
export interface OidcProfile {
  readonly _tag: "Oidc"
  readonly name: string
  readonly issuer: string
  readonly clientId: string
  readonly scope: ReadonlyArray<string>
  /** The login flow unless `--flow` says otherwise. */
  readonly flow: Flow | undefined
  /** The API the tokens are for: RFC 8707 `resource`, or the `audience` some servers use. */
  readonly resource: string | undefined
  readonly audience: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type Profile = CognitoProfile | OidcProfile

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultProfile: CognitoProfile = { _tag: "Cognito", name: "default" }

const OidcEntry = Schema.Struct({
  issuer: Schema.String.pipe(Schema.minLength(1)),
  client_id: Schema.String.pipe(Schema.minLength(1)),
  scope: Schema.optional(Schema.Union(Schema.String, Schema.Array(Schema.String))),
  flow: Schema.optional(Schema.Literal("password", "device", "browser")),
  resource: Schema.optional(Schema.String),
  audience: Schema.optional(Schema.String)
})

const ProfilesFile = Schema.Struct({
  profiles: Schema.Record({ key: Schema.String, value: OidcEntry })
})

/**
 * Where toshi keeps its files: `~/.toshi`, shared with the Python tool.
 *
 * @since 0.1.0
 * @category accessors
 */
export const directory: Effect.Effect<string, never, Path.Path> = CognitoConfig.directory

/**
 * The profiles file: `TOSHI_PROFILES`, or `~/.toshi/profiles.json`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const profilesFile: Effect.Effect<string, never, Path.Path> = Effect.gen(function*() {
  const explicit = yield* Effect.orElseSucceed(Config.option(Config.nonEmptyString("TOSHI_PROFILES")), () => Option.none<string>())
  if (Option.isSome(explicit)) return explicit.value
  const path = yield* Path.Path
  return path.join(yield* directory, "profiles.json")
})

const malformed = (file: string, description: string) =>
  new AuthError.ConfigIncompleteError({ subject: "toshi profiles", missing: [], source: file, reason: "Malformed", description })

const defaultScope: ReadonlyArray<string> = ["openid", "offline_access"]

const scopeOf = (scope: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  scope === undefined ? defaultScope : typeof scope === "string" ? scope.split(" ").filter((s) => s !== "") : scope

/** The names `profiles.json` may use: they appear in file names and on command lines. */
const validName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/** The named profiles of a profiles file's JSON, in file order, or what is wrong with it. */
const decodeNamed = (file: string, json: unknown): Effect.Effect<Array<OidcProfile>, AuthError.ConfigIncompleteError> =>
  Effect.gen(function*() {
    const decoded = Schema.decodeUnknownEither(ProfilesFile)(json, { onExcessProperty: "ignore" })
    if (Either.isLeft(decoded)) {
      return yield* malformed(file, ParseResult.TreeFormatter.formatErrorSync(decoded.left).split("\n").slice(0, 4).join(" "))
    }
    const named: Array<OidcProfile> = []
    for (const [name, entry] of Object.entries(decoded.right.profiles)) {
      if (name === defaultProfile.name) return yield* malformed(file, `"default" is the Cognito profile of auth_config.json: give this one another name`)
      if (!validName.test(name)) {
        return yield* malformed(file, `the profile name ${JSON.stringify(name)} may only have letters, digits, '.', '_' and '-'`)
      }
      named.push({
        _tag: "Oidc",
        name,
        issuer: entry.issuer,
        clientId: entry.client_id,
        scope: scopeOf(entry.scope),
        flow: entry.flow,
        resource: entry.resource,
        audience: entry.audience
      })
    }
    return named
  })

/** The profiles file as it is (every key kept), and its named profiles. */
const load = Effect.gen(function*() {
  const file = yield* profilesFile
  const json = yield* JsonFile.read(file, "toshi profiles")
  const named = Option.isNone(json) ? [] : yield* decodeNamed(file, json.value)
  return { file, json, named }
})

/**
 * Every profile: `default`, then the named ones in file order. A malformed profiles file is an
 * error naming the file and what is wrong.
 *
 * @since 0.1.0
 * @category constructors
 */
export const all: Effect.Effect<ReadonlyArray<Profile>, AuthError.ConfigIncompleteError, FileSystem.FileSystem | Path.Path> = Effect.map(
  load,
  ({ named }) => [defaultProfile, ...named]
)

/**
 * A settings file could not be written; it is left as it was.
 *
 * @since 0.1.0
 * @category errors
 */
export const ConfigWriteError: typeof JsonFile.ConfigWriteError = JsonFile.ConfigWriteError

/**
 * @since 0.1.0
 * @category errors
 */
export type ConfigWriteError = JsonFile.ConfigWriteError

/**
 * What `toshi profile add` takes: the profiles file's fields, by their TypeScript names.
 *
 * @since 0.1.0
 * @category models
 */
export interface AddOptions {
  readonly name: string
  readonly issuer: string
  readonly clientId: string
  readonly scope?: ReadonlyArray<string> | undefined
  readonly flow?: "password" | "device" | "browser" | undefined
  readonly resource?: string | undefined
  readonly audience?: string | undefined
  /** Replace a profile of that name rather than fail. */
  readonly replace?: boolean | undefined
}

const isLoopback = (host: string) => host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host)

/** Tokens go to the issuer: only over https, or plain http on this machine. */
const checkIssuer = (issuer: string): Effect.Effect<string, UsageError> => {
  const parsed = Either.try(() => new URL(issuer))
  if (Either.isLeft(parsed)) return new UsageError({ description: `the issuer ${JSON.stringify(issuer)} is not a URL: give it as https://id.example.org` })
  const url = parsed.right
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname))) return Effect.succeed(issuer)
  return new UsageError({ description: `the issuer must use https (plain http only on 127.0.0.1 or localhost), not ${url.origin}` })
}

/**
 * Adds a named OIDC profile to the profiles file, keeping every other entry and key. A malformed
 * file is an error and is left untouched; an existing name is an error unless `replace`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const add = (
  options: AddOptions
): Effect.Effect<
  OidcProfile & { readonly file: string },
  AuthError.ConfigIncompleteError | UsageError | ConfigWriteError,
  FileSystem.FileSystem | Path.Path
> =>
  Effect.gen(function*() {
    if (options.name === defaultProfile.name) {
      return yield* new UsageError({ description: "\"default\" is the Cognito profile: set it up with `toshi config set`, or give this profile another name" })
    }
    if (!validName.test(options.name)) {
      return yield* new UsageError({ description: `the profile name ${JSON.stringify(options.name)} may only have letters, digits, '.', '_' and '-'` })
    }
    if (options.clientId === "") return yield* new UsageError({ description: "--client-id must not be empty" })
    const issuer = yield* checkIssuer(options.issuer)
    return yield* JsonFile.locked(yield* profilesFile)(addTo(options, issuer))
  })

const addTo = (options: AddOptions, issuer: string) =>
  Effect.gen(function*() {
    const { file, json, named } = yield* load
    if (options.replace !== true && named.some((profile) => profile.name === options.name)) {
      return yield* new UsageError({
        description: `a profile named ${options.name} exists already in ${file}: pass --replace to replace it, or remove it with \`toshi profile remove ${options.name}\``
      })
    }
    const entry = {
      issuer,
      client_id: options.clientId,
      ...(options.scope === undefined ? {} : { scope: options.scope.join(" ") }),
      ...(options.flow === undefined ? {} : { flow: options.flow }),
      ...(options.resource === undefined ? {} : { resource: options.resource }),
      ...(options.audience === undefined ? {} : { audience: options.audience })
    }
    const document = Option.getOrElse(json, (): JsonFile.JsonObject => ({}))
    const profiles = (document["profiles"] ?? {}) as Record<string, unknown>
    yield* JsonFile.write(file, { ...document, profiles: { ...profiles, [options.name]: entry } })
    return {
      _tag: "Oidc" as const,
      name: options.name,
      issuer,
      clientId: options.clientId,
      scope: scopeOf(options.scope),
      flow: options.flow,
      resource: options.resource,
      audience: options.audience,
      file
    }
  })

/**
 * Removes a named profile from the profiles file, keeping every other entry and key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const remove = (
  name: string
): Effect.Effect<
  OidcProfile & { readonly file: string },
  AuthError.ConfigIncompleteError | UsageError | ConfigWriteError,
  FileSystem.FileSystem | Path.Path
> =>
  Effect.gen(function*() {
    if (name === defaultProfile.name) {
      return yield* new UsageError({ description: "\"default\" is the Cognito profile and cannot be removed: change its settings with `toshi config set`" })
    }
    return yield* JsonFile.locked(yield* profilesFile)(removeFrom(name))
  })

const removeFrom = (name: string) =>
  Effect.gen(function*() {
    const { file, json, named } = yield* load
    const found = named.find((profile) => profile.name === name)
    if (found === undefined || Option.isNone(json)) {
      return yield* new UsageError({
        description: `there is no profile named ${JSON.stringify(name)}; known profiles: ${[defaultProfile.name, ...named.map((p) => p.name)].join(", ")}`
      })
    }
    const { [name]: _removed, ...profiles } = json.value["profiles"] as Record<string, unknown>
    yield* JsonFile.write(file, { ...json.value, profiles })
    return { ...found, file }
  })

/**
 * A usage error: an unknown command, option or profile. The message says what is known.
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { description: Schema.String }) {
  override get message(): string {
    return this.description
  }
}

/**
 * The profile `--profile` (or `TOSHI_PROFILE`) names; an unknown name lists the known ones.
 *
 * @since 0.1.0
 * @category constructors
 */
export const select = (
  name: Option.Option<string>
): Effect.Effect<Profile, AuthError.ConfigIncompleteError | UsageError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fromEnv = yield* Effect.orElseSucceed(Config.option(Config.nonEmptyString("TOSHI_PROFILE")), () => Option.none<string>())
    const wanted = Option.getOrElse(Option.orElse(name, () => fromEnv), () => defaultProfile.name)
    const profiles = yield* all
    const found = profiles.find((profile) => profile.name === wanted)
    if (found !== undefined) return found
    const hint = validName.test(wanted) ? ` Add it with \`toshi profile add ${wanted} --issuer URL --client-id ID\`.` : ""
    return yield* new UsageError({
      description: `unknown profile ${JSON.stringify(wanted)}; known profiles: ${profiles.map((p) => p.name).join(", ")} (in ${yield* profilesFile}).${hint}`
    })
  })
