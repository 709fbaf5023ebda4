/**
 * The JSON settings files the `profile` and `config` commands edit (`profiles.json`,
 * `auth_config.json`): read as a plain object, so that keys toshi does not know (the Python tool's,
 * or a newer toshi's) survive an edit, and replaced atomically.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { AuthError } from "@toshi/core"
import { FileTokenStore } from "@toshi/stores"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"

/**
 * A settings file could not be written. The file as it was is left in place.
 *
 * @internal
 */
export class ConfigWriteError extends Schema.TaggedError<ConfigWriteError>()("ConfigWriteError", {
  path: Schema.String,
  description: Schema.String
}) {
  override get message(): string {
    return `Could not save ${this.path}: ${this.description}. ` +
      "Check that this user may write the file and its directory, and the space left on its file system."
  }
}

/** @internal */
export type JsonObject = Readonly<Record<string, unknown>>

/**
 * The file's object, or none when there is no file. Anything else (unreadable, not JSON, not an
 * object) is a `Malformed` error naming the file: the caller must not write over it.
 *
 * @internal
 */
export const read = (
  file: string,
  subject: string
): Effect.Effect<Option.Option<JsonObject>, AuthError.ConfigIncompleteError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const malformed = (description: string) =>
      new AuthError.ConfigIncompleteError({ subject, missing: [], source: file, reason: "Malformed", description })
    const text = yield* fs.readFileString(file).pipe(
      Effect.map(Option.some),
      Effect.catchIf((error) => error._tag === "SystemError" && error.reason === "NotFound", () => Effect.succeed(Option.none<string>())),
      Effect.mapError((error) => malformed(`it could not be read (${error.message})`))
    )
    if (Option.isNone(text)) return Option.none()
    const json = Either.try(() => JSON.parse(text.value) as unknown)
    if (Either.isLeft(json)) return yield* malformed("it is not valid JSON")
    if (typeof json.right !== "object" || json.right === null || Array.isArray(json.right)) {
      return yield* malformed("it must hold a JSON object")
    }
    return Option.some(json.right as JsonObject)
  })

/**
 * Replaces the file with `value`: a new file (0600) in the same directory (0700 when toshi creates
 * it), flushed, then renamed over the old one, so that a crash leaves the old file or the new one.
 *
 * @internal
 */
export const write = (file: string, value: JsonObject): Effect.Effect<void, ConfigWriteError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const failed = (what: string) => (cause: unknown) => {
      const system = (cause as { readonly description?: unknown } | null | undefined)?.description
      const words = typeof system === "string" && system !== "" ? ` (${system.split(", ")[0]})` : ""
      return new ConfigWriteError({ path: file, description: `could not ${what}${words}` })
    }
    const directory = path.dirname(file)
    yield* fs.makeDirectory(directory, { recursive: true, mode: 0o700 }).pipe(Effect.mapError(failed(`create the directory ${directory}`)))
    const temp = `${file}.${process.pid}-${(yield* Random.nextInt).toString(36)}.tmp`
    const body = new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`)
    yield* Effect.scoped(Effect.gen(function*() {
      const handle = yield* fs.open(temp, { flag: "wx", mode: 0o600 })
      yield* handle.writeAll(body)
      yield* handle.sync
    })).pipe(
      Effect.zipRight(fs.rename(temp, file)),
      Effect.mapError(failed("write the file")),
      Effect.tapError(() => Effect.ignore(fs.remove(temp)))
    )
  })

/**
 * Runs a read-modify-write of `file` under the cross-process lock toshi's file stores use
 * (`<file>.lock`), so that two commands editing the file at once both keep their change.
 *
 * @internal
 */
export const locked = (file: string) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | ConfigWriteError, R | FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(FileTokenStore.make(file), (store) => store.withLock(file, effect)).pipe(
    // The lock is the token stores' and speaks of a "token store"; here it guards a settings file.
    // (The edits under it never fail with a TokenStoreError of their own.)
    Effect.catchIf(
      (error): error is AuthError.TokenStoreError => (error as { readonly _tag?: unknown })._tag === "TokenStoreError",
      (error) => Effect.fail(new ConfigWriteError({ path: file, description: error.description }))
    )
  )
