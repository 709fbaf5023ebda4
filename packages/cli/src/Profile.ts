/**
 * The identities the `toshi` command knows. `default` is the Cognito user pool of
 * `auth_config.json` (shared with the Python toshi-auth tool, saved in `~/.toshi/credentials`); more
 * profiles, for any OpenID Connect issuer (Keycloak, Auth0, Okta, a Cognito pool's own issuer), are
 * named in `~/.toshi/profiles.json` and saved in `~/.toshi/tokens.json`.
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

/**
 * Every profile: `default`, then the named ones in file order. A malformed profiles file is an
 * error naming the file and what is wrong.
 *
 * @since 0.1.0
 * @category constructors
 */
export const all: Effect.Effect<ReadonlyArray<Profile>, AuthError.ConfigIncompleteError, FileSystem.FileSystem | Path.Path> = Effect
  .gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const file = yield* profilesFile
    const text = yield* fs.readFileString(file).pipe(
      Effect.map(Option.some),
      Effect.catchIf((error) => error._tag === "SystemError" && error.reason === "NotFound", () => Effect.succeed(Option.none<string>())),
      Effect.mapError((error) => malformed(file, `it could not be read (${error.message})`))
    )
    if (Option.isNone(text)) return [defaultProfile]
    const json = Either.try(() => JSON.parse(text.value) as unknown)
    if (Either.isLeft(json)) return yield* malformed(file, "it is not valid JSON")
    const decoded = Schema.decodeUnknownEither(ProfilesFile)(json.right, { onExcessProperty: "ignore" })
    if (Either.isLeft(decoded)) {
      return yield* malformed(file, ParseResult.TreeFormatter.formatErrorSync(decoded.left).split("\n").slice(0, 4).join(" "))
    }
    const named: Array<Profile> = []
    for (const [name, entry] of Object.entries(decoded.right.profiles)) {
      if (name === defaultProfile.name) return yield* malformed(file, `"default" is the Cognito profile of auth_config.json: give this one another name`)
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
        return yield* malformed(file, `the profile name ${JSON.stringify(name)} may only have letters, digits, '.', '_' and '-'`)
      }
      const scope = entry.scope === undefined ? ["openid", "offline_access"] : typeof entry.scope === "string"
        ? entry.scope.split(" ").filter((s) => s !== "")
        : entry.scope
      named.push({
        _tag: "Oidc",
        name,
        issuer: entry.issuer,
        clientId: entry.client_id,
        scope,
        flow: entry.flow,
        resource: entry.resource,
        audience: entry.audience
      })
    }
    return [defaultProfile, ...named]
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
    return yield* new UsageError({
      description: `unknown profile ${JSON.stringify(wanted)}; known profiles: ${profiles.map((p) => p.name).join(", ")} (named profiles live in ${yield* profilesFile})`
    })
  })
