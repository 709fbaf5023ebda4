import * as FileSystem from "@effect/platform/FileSystem"
import { AuthError } from "@toshi/core"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"

/** @internal */
export interface LockOptions {
  /** How long to wait for another holder before failing with `LockTimeout`. */
  readonly timeout: Duration.Duration
  /** A lock older than this is taken over even if its owner seems alive (a hung or foreign holder). */
  readonly staleAfter: Duration.Duration
}

/** What a lock file holds: who owns it and since when. */
interface LockInfo {
  readonly pid: number
  readonly owner: string
  readonly createdAt: number
}

/**
 * Whether a process is alive, where the runtime can tell (`process.kill(pid, 0)`); elsewhere
 * every owner counts as alive and only the age of a lock makes it stale.
 */
export const processAlive = (pid: number): boolean => {
  const proc = (globalThis as { process?: { kill?: (pid: number, signal: 0) => void; pid?: number } }).process
  if (proc?.kill === undefined) return true
  try {
    proc.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === "EPERM"
  }
}

export const ownPid = (): number => (globalThis as { process?: { pid?: number } }).process?.pid ?? 0

/** A lock file with content toshi cannot read (not one of ours, or damaged) is stale after this. */
const unwrittenGrace = 5_000

/**
 * A cross-process lock: a file created exclusively (`wx`) that names its owner. A lock whose owner
 * died, or that is older than `staleAfter`, is taken over; the take-over itself runs under a
 * second exclusive file, so that two waiters never both remove a lock and one of them removes the
 * other's fresh one.
 *
 * @internal
 */
export const acquire = (
  fs: FileSystem.FileSystem,
  lockPath: string,
  options: LockOptions
): Effect.Effect<void, AuthError.TokenStoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const owner = (yield* Random.nextInt).toString(36) + (yield* Clock.currentTimeMillis).toString(36)
    const guardPath = `${lockPath}.takeover`
    const start = yield* Clock.currentTimeMillis
    const deadline = start + Duration.toMillis(options.timeout)
    let delay = 10
    let holder: LockInfo | undefined

    /**
     * Creates `target` holding our `LockInfo`, or answers `false` if it exists. The content is
     * written to a file of our own first and hard-linked into place, so a lock is never seen
     * empty, even if its creator is killed half-way.
     */
    const createExclusive = (target: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const info: LockInfo = { pid: ownPid(), owner, createdAt: now }
        const draft = `${target}.${tempSuffix(owner)}`
        yield* fs.writeFileString(draft, JSON.stringify(info), { mode: 0o600 })
        return yield* fs.link(draft, target).pipe(
          Effect.as(true),
          Effect.catchIf(isAlreadyExists, () => Effect.succeed(false)),
          Effect.ensuring(Effect.ignore(fs.remove(draft)))
        )
      }).pipe(Effect.mapError(fileFailure("create the lock file", lockPath)))

    const tryCreate = createExclusive(lockPath)

    const readLock = (path: string) =>
      Effect.gen(function*() {
        const text = yield* fs.readFileString(path)
        const info = parseLock(text)
        if (info !== undefined) return { info, unwrittenSince: undefined }
        const stat = yield* fs.stat(path)
        return { info: undefined, unwrittenSince: stat.mtime._tag === "Some" ? stat.mtime.value.getTime() : 0 }
      }).pipe(Effect.option)

    const isStale = (found: { info: LockInfo | undefined; unwrittenSince: number | undefined }, now: number) =>
      found.info === undefined
        ? now - (found.unwrittenSince ?? 0) > unwrittenGrace
        : !processAlive(found.info.pid) || now - found.info.createdAt > Duration.toMillis(options.staleAfter)

    /** Removes a stale lock, unless it changed since it was judged stale. */
    const takeOver = (judged: { info: LockInfo | undefined }) =>
      Effect.gen(function*() {
        if (!(yield* Effect.orElseSucceed(createExclusive(guardPath), () => false))) {
          // Another waiter is taking over, or one that died doing so left its guard: clear that one.
          const guard = yield* readLock(guardPath)
          if (guard._tag === "Some" && isStale(guard.value, yield* Clock.currentTimeMillis)) {
            yield* Effect.ignore(fs.remove(guardPath))
          }
          return
        }
        const again = yield* readLock(lockPath)
        if (again._tag === "Some" && again.value.info?.owner === judged.info?.owner) {
          yield* Effect.logWarning(
            `toshi: taking over the stale lock ${lockPath}` +
              (judged.info === undefined ? "" : ` (held by pid ${judged.info.pid} since ${new Date(judged.info.createdAt).toISOString()})`)
          )
          yield* Effect.ignore(fs.remove(lockPath))
        }
        yield* Effect.ignore(fs.remove(guardPath))
      })

    // Released with the scope: only if the lock is still ours (nobody judged us stale meanwhile).
    const releaseWithScope = Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const found = yield* readLock(lockPath)
        if (found._tag === "Some" && found.value.info?.owner === owner) {
          yield* Effect.ignore(fs.remove(lockPath))
        } else {
          yield* Effect.logWarning(`toshi: the lock ${lockPath} was taken over while held; the work under it may have raced`)
        }
      })
    )

    while (true) {
      // Creating the lock and registering its release happen together, or an interruption between
      // them would leave a lock that only its age can clear.
      if (yield* Effect.uninterruptible(Effect.tap(tryCreate, (created) => created ? releaseWithScope : Effect.void))) {
        return
      }
      const now = yield* Clock.currentTimeMillis
      const found = yield* readLock(lockPath)
      if (found._tag === "Some") {
        holder = found.value.info
        if (isStale(found.value, now)) {
          yield* takeOver(found.value)
          continue
        }
      }
      if (now >= deadline) {
        return yield* new AuthError.TokenStoreError({
          reason: "LockTimeout",
          description: `another process still holds the lock after ${Duration.format(options.timeout)}` +
            (holder === undefined ? "" : ` (pid ${holder.pid}, since ${new Date(holder.createdAt).toISOString()})`) +
            `: wait for it to finish, or remove ${lockPath} if no toshi process is running`,
          path: lockPath
        })
      }
      const jittered = delay * (0.5 + (yield* Random.next) / 2)
      yield* Effect.sleep(Duration.millis(Math.min(jittered, deadline - now)))
      delay = Math.min(delay * 2, 250)
    }
  })

const parseLock = (text: string): LockInfo | undefined => {
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value !== "object" || value === null) return undefined
    const { createdAt, owner, pid } = value as Record<string, unknown>
    return typeof pid === "number" && typeof owner === "string" && typeof createdAt === "number"
      ? { pid, owner, createdAt }
      : undefined
  } catch {
    return undefined
  }
}

/** @internal */
export const isAlreadyExists = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { reason?: string }).reason === "AlreadyExists"

/** @internal */
export const isNotFound = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { reason?: string }).reason === "NotFound"

/** @internal */
export const isPermission = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { reason?: string }).reason === "PermissionDenied"

/**
 * A failed file operation as a `TokenStoreError`: `Permission` or `Io`, with the system's own
 * words (`ENOSPC: no space left on device`), which say more than "could not write".
 *
 * @internal
 */
export const fileFailure = (what: string, path: string) => (cause: unknown): AuthError.TokenStoreError => {
  // A platform `SystemError` carries Node's message: "ENOSPC: no space left on device, write".
  const system = (cause as { readonly description?: unknown } | null | undefined)?.description
  const words = typeof system === "string" && system !== "" ? ` (${system.split(", ")[0]})` : ""
  return new AuthError.TokenStoreError({
    reason: isPermission(cause) ? "Permission" : "Io",
    description: `could not ${what}${words}`,
    path,
    cause
  })
}

/**
 * The end of a temporary file's name: the writer's pid first, so that files left by a killed
 * writer can be recognised and removed.
 *
 * @internal
 */
export const tempSuffix = (unique: string): string => `${ownPid()}-${unique}.tmp`

const orphanPattern = /\.(\d+)-[a-z0-9-]+\.tmp$/

/**
 * Whether `name` is a temporary file of `base` (its own or its lock's) left by a process that died.
 *
 * @internal
 */
export const isOrphanOf = (base: string, name: string): boolean => {
  if (!name.startsWith(`${base}.`)) return false
  const match = orphanPattern.exec(name)
  return match !== null && !processAlive(Number(match[1]))
}
