import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { AuthError, type TokenSet, TokenStore as CoreTokenStore, type TokenStore } from "@toshi/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Scope from "effect/Scope"
import * as FileLock from "./fileLock.js"

/**
 * How a file's JSON maps to token sets. Every function answers `Left(what is wrong)` for content
 * it does not recognise, which the store reports as a `Corrupt` error and never overwrites.
 *
 * @internal
 */
export interface Format {
  /** What the file is, for messages: "toshi token file". */
  readonly kind: string
  readonly check: (json: unknown) => Either.Either<Document, string>
  readonly get: (document: Document, key: string) => Either.Either<Option.Option<TokenSet.TokenSet>, string>
  readonly set: (document: Document | undefined, key: string, tokens: TokenSet.TokenSet) => Document
  /** `undefined`: nothing is left, and the file is removed. */
  readonly remove: (document: Document, key: string) => Document | undefined
}

/** @internal */
export type Document = Readonly<Record<string, unknown>>

/** @internal */
export interface Options {
  readonly lockTimeout?: Duration.DurationInput | undefined
  readonly staleLockAfter?: Duration.DurationInput | undefined
}

/** The lock files this fiber holds, so that a save under `withLock` does not wait on itself. */
const heldLocks = FiberRef.unsafeMake<ReadonlySet<string>>(new Set())

/** @internal */
export const make = (filePath: string, format: Format, options: Options = {}) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.resolve(filePath)
    const directory = path.dirname(file)
    const lockPath = `${file}.lock`
    const lockOptions: FileLock.LockOptions = {
      timeout: Duration.decode(options.lockTimeout ?? "60 seconds"),
      staleAfter: Duration.decode(options.staleLockAfter ?? "10 minutes")
    }
    const semaphore = yield* Effect.makeSemaphore(1)
    let permissionsChecked = false

    const fail = (reason: AuthError.TokenStoreError["reason"], description: string, cause?: unknown) =>
      new AuthError.TokenStoreError({ reason, description, path: file, ...(cause === undefined ? {} : { cause }) })
    const ioFailure = (what: string) => FileLock.fileFailure(what, file)

    /** Warns once when the file can be read by other users: it holds live credentials. */
    const checkPermissions = Effect.suspend(() => {
      if (permissionsChecked) return Effect.void
      permissionsChecked = true
      return fs.stat(file).pipe(
        Effect.flatMap((info) =>
          (info.mode & 0o077) === 0 ? Effect.void : Effect.logWarning(
            `toshi: ${file} can be read by other users (mode ${(info.mode & 0o777).toString(8)}): ` +
              `it holds credentials; run: chmod 600 ${file}`
          )
        ),
        Effect.ignore
      )
    })

    /** The file's document; `undefined` when there is no file. Anything unrecognised is an error. */
    const read: Effect.Effect<Document | undefined, AuthError.TokenStoreError> = Effect.gen(function*() {
      const text = yield* fs.readFileString(file).pipe(
        Effect.map(Option.some),
        Effect.catchIf(FileLock.isNotFound, () => Effect.succeedNone),
        Effect.mapError(ioFailure("read the file"))
      )
      if (Option.isNone(text)) return undefined
      yield* checkPermissions
      if (text.value.trim() === "") {
        return yield* fail("Corrupt", `the ${format.kind} is empty; it was left as it is: remove it, then log in again`)
      }
      let json: unknown
      try {
        json = JSON.parse(text.value)
      } catch {
        return yield* fail(
          "Corrupt",
          `the ${format.kind} is not valid JSON (truncated or damaged); it was left as it is: remove it, then log in again`
        )
      }
      return yield* Either.match(format.check(json), {
        onLeft: (problem) => fail("Corrupt", `${problem}; it was left as it is: move it away, then log in again`),
        onRight: Effect.succeed
      })
    })

    const ensureDirectory = fs.makeDirectory(directory, { recursive: true, mode: 0o700 }).pipe(
      Effect.mapError(ioFailure(`create the directory ${directory}`))
    )

    /**
     * Replaces the file atomically: a new file in the same directory, written and flushed to disk,
     * then renamed over the old one. A crash at any instant leaves the old file or the new one.
     */
    const write = (document: Document): Effect.Effect<void, AuthError.TokenStoreError> =>
      Effect.gen(function*() {
        yield* ensureDirectory
        const temp = `${file}.${FileLock.tempSuffix((yield* Random.nextInt).toString(36))}`
        const body = new TextEncoder().encode(JSON.stringify(document, null, 2) + "\n")
        yield* Effect.scoped(
          Effect.gen(function*() {
            const handle = yield* fs.open(temp, { flag: "wx", mode: 0o600 })
            yield* handle.writeAll(body)
            yield* handle.sync
          })
        ).pipe(
          Effect.zipRight(fs.rename(temp, file)),
          Effect.mapError(ioFailure("write the file")),
          Effect.tapError(() => Effect.ignore(fs.remove(temp)))
        )
        // Make the rename itself durable; not every platform can open a directory, and that is fine.
        yield* Effect.scoped(Effect.flatMap(fs.open(directory, { flag: "r" }), (dir) => dir.sync)).pipe(Effect.ignore)
        yield* removeOrphans
      })

    /** Once per store: removes temporary files that writers killed half-way left behind. */
    let orphansRemoved = false
    const removeOrphans = Effect.suspend(() => {
      if (orphansRemoved) return Effect.void
      orphansRemoved = true
      const base = path.basename(file)
      return fs.readDirectory(directory).pipe(
        Effect.flatMap((names) =>
          Effect.forEach(
            names.filter((name) => FileLock.isOrphanOf(base, name)),
            (name) => Effect.ignore(fs.remove(path.join(directory, name))),
            { discard: true }
          )
        ),
        Effect.ignore
      )
    })

    const holdsLock = Effect.map(FiberRef.get(heldLocks), (held) => held.has(lockPath))

    const withLock = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | AuthError.TokenStoreError, R> =>
      Effect.flatMap(holdsLock, (held) =>
        held ? effect : semaphore.withPermits(1)(
          Effect.acquireUseRelease(
            Scope.make(),
            (scope) =>
              Effect.zipRight(
                Effect.zipRight(ensureDirectory, Scope.extend(FileLock.acquire(fs, lockPath, lockOptions), scope)),
                Effect.locallyWith(effect, heldLocks, (locks) => new Set([...locks, lockPath]))
              ),
            (scope, exit) => Scope.close(scope, exit)
          )
        ))

    const store: TokenStore.TokenStoreService = {
      load: (key) =>
        Effect.flatMap(read, (document) =>
          document === undefined ? Effect.succeedNone : Either.match(format.get(document, key), {
            onLeft: (problem) => Effect.fail(fail("Corrupt", `${problem}; it was left as it is`)),
            onRight: Effect.succeed
          })),
      save: (key, tokens) => withLock(Effect.flatMap(read, (document) => write(format.set(document, key, tokens)))),
      clear: (key) =>
        withLock(Effect.flatMap(read, (document) => {
          if (document === undefined) return Effect.void
          const rest = format.remove(document, key)
          return rest === undefined
            ? fs.remove(file).pipe(
              Effect.catchIf(FileLock.isNotFound, () => Effect.void),
              Effect.mapError(ioFailure("remove the file"))
            )
            : write(rest)
        })),
      withLock: (_key, effect) => withLock(effect)
    }
    return store
  })

/**
 * The `make` and `layer` of a file store in one format.
 *
 * @internal
 */
export interface Constructors {
  readonly make: (
    filePath: string,
    options?: Options
  ) => Effect.Effect<TokenStore.TokenStoreService, never, FileSystem.FileSystem | Path.Path>
  readonly layer: (
    filePath: string,
    options?: Options
  ) => Layer.Layer<CoreTokenStore.TokenStore, never, FileSystem.FileSystem | Path.Path>
}

/** @internal */
export const constructors = (format: Format): Constructors => ({
  make: (filePath, options) => make(filePath, format, options),
  layer: (filePath, options) => Layer.effect(CoreTokenStore.TokenStore, make(filePath, format, options))
})
